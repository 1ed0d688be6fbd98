//! Login by EDS through NCALayer: the page carries a fresh nonce of the service's (stateless,
//! signed, short-lived); the page's script asks NCALayer to sign it; the signature and the nonce
//! come back in the form and are checked as the API's EDS login checks them.

use super::*;
use crate::pages::{self, Frame};
use maud::{html, Markup};

struct Words {
    lead: &'static str,
    button: &'static str,
    no_script: &'static str,
    by_code: &'static str,
}

const KK: Words = Words {
    lead: "Компьютеріңізде NCALayer іске қосулы болуы керек. Батырманы басыңыз да, NCALayer терезесінде кілтті таңдап, құпиясөзді енгізіңіз.",
    button: "ЭЦҚ-мен кіру",
    no_script: "ЭЦҚ-мен кіру үшін браузерде JavaScript қосулы болуы керек.",
    by_code: "Бір реттік кодпен кіру",
};

const RU: Words = Words {
    lead: "На компьютере должна быть запущена программа NCALayer. Нажмите кнопку, выберите ключ в окне NCALayer и введите пароль.",
    button: "Войти с ЭЦП",
    no_script: "Для входа с ЭЦП в браузере должен быть включён JavaScript.",
    by_code: "Войти по одноразовому коду",
};

const EN: Words = Words {
    lead: "NCALayer must be running on your computer. Press the button, choose your key in NCALayer's window and enter its password.",
    button: "Sign in with EDS",
    no_script: "Signing in with an EDS needs JavaScript in your browser.",
    by_code: "Sign in with a one-time code",
};

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Kk => &KK,
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

#[derive(Deserialize)]
pub(crate) struct EdsForm {
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    signature: String,
}

pub(crate) async fn eds_page(State(web): State<Web>, headers: HeaderMap) -> Response {
    let visit = Visit::of(&web, &headers);
    eds_response(&web, &visit, StatusCode::OK, &Answers::default()).await
}

async fn eds_response(web: &Web, visit: &Visit, status: StatusCode, answers: &Answers) -> Response {
    let challenge = match web.api.identity.challenge().await {
        Ok(c) => c,
        Err(f) => return failure_page(web, visit, &f),
    };
    let frame = Frame::new(web, visit, "/login/eds").with_eds();
    page(
        web,
        visit,
        status,
        eds_html(&frame, &challenge.nonce, answers),
    )
}

pub(crate) async fn eds_post(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let visit = Visit::of(&web, &headers);
    let input: EdsForm = match form(&web, &visit, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let login = kezek_core::identity::EdsLogin {
        nonce: input.nonce.trim().to_owned(),
        signature: input.signature.trim().to_owned(),
    };
    let result = match web.api.identity.login_with_eds(login).await {
        Ok(login) => start_session(&web, &visit, login).await,
        Err(f) => Err(f),
    };
    match result {
        Ok(r) => r,
        Err(
            f @ (Failure::BadInput { .. }
            | Failure::Unauthorized { .. }
            | Failure::Forbidden { .. }),
        ) => {
            let status = StatusCode::from_u16(f.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            let answers = Answers {
                values: vec![],
                errors: vec![field_error(&web, visit.lang, &f, &[], "eds")],
            };
            eds_response(&web, &visit, status, &answers).await
        }
        Err(f) => failure_page(&web, &visit, &f),
    }
}

fn eds_html(f: &Frame, nonce: &str, answers: &Answers) -> Markup {
    let w = words(f.lang());
    let shared = f.words();
    let to_sign = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(nonce.as_bytes())
    };
    pages::layout_error(
        f,
        shared.login_by_eds,
        !answers.errors.is_empty(),
        html! {
            (pages::error_summary(f, answers))
            h1 #eds { (shared.login_by_eds) }
            p { (w.lead) }
            form method="post" action="/login/eds" data-eds=(to_sign)
                data-ncalayer=(f.ncalayer()) data-eds-error=(shared.eds_error) {
                input type="hidden" name="csrf" value=(f.csrf());
                input type="hidden" name="nonce" value=(nonce);
                (pages::eds_controls(w.button))
                noscript { p { (w.no_script) } }
            }
            p { a href="/login" { (w.by_code) } }
        },
    )
}
