//! The parents' portal in a real browser (issue 17): headless Chromium driven through WebDriver
//! (Debian's `chromium` and `chromium-driver`, installed by `./scripts/test`) walks parents through
//! the pages only, in Kazakh and in Russian, while the test moves business time on the runner's
//! simulated clock and starts the operator's voucher runs and sweeps; then an operator walks the
//! desk's pages (issue 18: `browser_walks/desk.rs`). On every page: axe-core (npm, pinned in `tests/browser/`) finds no WCAG 2.1 A or AA
//! violation, the page with its assets weighs at most 60 KB, and screenshots at 360 px and
//! 1280 px wide are written to `$CARGO_TARGET_DIR/portal-screenshots/` (or
//! `target/portal-screenshots/`); the test prints each page's figures.

#[path = "browser_walks/desk.rs"]
mod desk_walk;
mod ncalayer;
mod pages;

use chrono::TimeZone;
use fantoccini::{Client, ClientBuilder, Locator};
use kezek_core::inputs::RunInput;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::Channel;
use kezek_local::keys::LocalKeys;
use kezek_local::Local;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const PARENT: &str = "900101300007";
const PHONE: &str = "+7 701 123 45 67";
const CHILD: &str = "230315500002";
/// The most a page may weigh with its assets (issue 17).
const PAGE_BUDGET: u64 = 60 * 1024;

/// chromedriver on a free port of this machine, stopped with the test.
struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn chromedriver() -> Driver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    let process = Command::new(&binary)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{binary}: {e}. The browser test needs Debian's chromium and chromium-driver \
                 (./scripts/test installs them)"
            )
        });
    let driver = Driver { process, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

/// A headless Chromium whose Accept-Language is `lang`, accepting the stand-in NCALayer's
/// certificate (that key only).
async fn browser(driver: &Driver, lang: &str, ncalayer_spki: &str) -> Client {
    let mut options = serde_json::json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--hide-scrollbars",
                 format!("--ignore-certificate-errors-spki-list={ncalayer_spki}")],
        "prefs": { "intl.accept_languages": lang },
    });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// The local runner on a free port with the seed catalogue, business time at `now`, trusting the
/// test CA for EDS and sending its pages' signing to the stand-in NCALayer.
async fn serve(now: chrono::DateTime<chrono::Utc>, eds: &Eds) -> (Local, String) {
    let mut local = Local::new(&LocalKeys::generate().unwrap());
    let roots = kezek_eds::Roots::from_der(&[eds.ca.certificate_der()]).unwrap();
    // Revocation has its own tests against an OCSP responder (shared/http/tests/revocation.rs).
    local.trust(Arc::new(
        kezek_http::NcaVerifier::new(roots).with_revocation(kezek_http::Revocation::NotChecked),
    ));
    local.ncalayer = eds.layer.url.clone();
    kezek_local::seed::seed(local.api.service.store.as_ref())
        .await
        .unwrap();
    local.clock.set(now);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Uploads and issued documents in a data folder of the test's own, behind the runner's URLs.
    let dir = std::env::temp_dir().join(format!("kezek-browser-{}", uuid::Uuid::new_v4()));
    local
        .keep_files(dir, &base, b"browser-test-files-key-0123456789")
        .unwrap();
    let router = local.clone().router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (local, base)
}

fn screenshots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/../target", env!("CARGO_MANIFEST_DIR")));
    let dir = PathBuf::from(target).join("portal-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn axe_source() -> String {
    let path = format!(
        "{}/../tests/browser/node_modules/axe-core/axe.min.js",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e}. Run `npm ci` in tests/browser (./scripts/test does)")
    })
}

/// One parent's browser on the runner, checking every page it arrives at.
struct Walk {
    client: Client,
    local: Local,
    base: String,
    /// Names the screenshots: the walk's name and language.
    name: String,
    pages: usize,
    axe: String,
    checked: Vec<String>,
}

impl Walk {
    async fn open(&mut self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        self.check().await;
    }

    async fn here(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn html(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The checks of every page: axe-core, the weight, the screenshots at both widths.
    async fn check(&mut self) {
        let here = self.here().await;
        let lang = self
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .unwrap();
        // axe-core, injected by WebDriver (the page's CSP allows no inline script; the
        // driver's script is not the page's).
        self.client
            .execute(&format!("{}\nreturn true;", self.axe), vec![])
            .await
            .expect("axe-core injected");
        let violations = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then(r => done(r.violations.map(v => ({ id: v.id, help: v.help,
                       nodes: v.nodes.map(n => n.target.join(' ')) }))))
                   .catch(e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            violations,
            serde_json::json!([]),
            "axe-core on {here} ({lang}): {violations:#}"
        );
        // What the page weighs: the document and each asset, uncompressed (at most what a
        // browser transfers).
        let bytes = self
            .client
            .execute(
                "return performance.getEntriesByType('navigation')
                    .concat(performance.getEntriesByType('resource'))
                    .reduce((s, e) => s + (e.decodedBodySize || 0), 0);",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        assert!(
            bytes <= PAGE_BUDGET,
            "{here}: {bytes} bytes, over the budget"
        );
        self.pages += 1;
        // Named by the page, not the application's id, so a run replaces the last one's.
        let page = match here.trim_matches('/') {
            "" => "home".to_owned(),
            // The application's id left out.
            p if p.starts_with("applications/") => std::iter::once("application")
                .chain(p.split('/').skip(2))
                .collect::<Vec<_>>()
                .join("-"),
            p => p.replace('/', "-"),
        };
        let stem = format!("{}-{:02}-{page}", self.name, self.pages);
        let dir = screenshots();
        for (width, height) in [(360, 800), (1280, 900)] {
            // The whole page: the window as tall as the document.
            self.client.set_window_size(width, height).await.unwrap();
            let tall = self
                .client
                .execute("return document.documentElement.scrollHeight;", vec![])
                .await
                .unwrap()
                .as_u64()
                .unwrap_or(u64::from(height))
                .clamp(u64::from(height), 6000) as u32;
            self.client.set_window_size(width, tall).await.unwrap();
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{stem}-{width}.png")), png).unwrap();
        }
        // At 360 px nothing is wider than the screen.
        self.client.set_window_size(360, 800).await.unwrap();
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            overflow,
            serde_json::json!(0),
            "{here} scrolls sideways at 360 px"
        );
        self.client.set_window_size(1280, 900).await.unwrap();
        let line = format!(
            "{}: {here} ({lang}) {bytes} B, axe: no violations",
            self.name
        );
        println!("{line}");
        self.checked.push(line);
    }

    async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("a field {name}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Presses the main form's button, then checks the page it leads to.
    async fn submit(&mut self) {
        self.press("#main form button[type=submit]").await;
    }

    /// Clicks, waits for the next page to have loaded (the old one marked, so its URL is never
    /// taken for the new one's), then checks it.
    async fn press(&mut self, css: &str) {
        let here = self.here().await;
        self.client
            .execute("window.kezekOldPage = true; return true;", vec![])
            .await
            .unwrap();
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} on {here}: {e}"))
            .click()
            .await
            .unwrap();
        for _ in 0..200 {
            let loaded = self
                .client
                .execute(
                    "return window.kezekOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(serde_json::Value::Bool(false));
            if loaded == serde_json::Value::Bool(true) {
                self.check().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{css} on {here} led to no page");
    }

    async fn follow(&mut self, css: &str) {
        self.press(css).await;
    }

    /// The newest six-digit code the dev outbox sent by SMS.
    fn code(&self) -> String {
        let sent = self.local.outbox.messages();
        let sms = sent
            .iter()
            .rev()
            .find(|m| m.channel == Channel::Sms && m.body.contains(char::is_numeric))
            .expect("an SMS with a code");
        sms.body
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .expect("six digits")
            .to_owned()
    }

    /// From the home page: the district, the login by one-time code (and the first login's
    /// e-mail), the form's two steps and the signing with a fresh code; ends on the
    /// application's page.
    async fn register(&mut self, district: &str, privilege: bool, sign_with_eds: bool) {
        self.open("/").await;
        self.follow(&format!("a[href=\"/apply?district={district}\"]"))
            .await;
        assert_eq!(self.here().await, "/login");
        self.fill("iin", PARENT).await;
        self.fill("phone", PHONE).await;
        self.submit().await;
        assert_eq!(self.here().await, "/login/code");
        let code = self.code();
        self.fill("code", &code).await;
        self.submit().await;
        if self.here().await == "/profile/email" {
            self.fill("email", "ata@mail.kz").await;
            self.submit().await;
        }
        assert_eq!(self.here().await, "/apply");
        // The form's error summary, then the answer corrected.
        self.fill("phone", "12").await;
        self.submit().await;
        assert_eq!(self.here().await, "/apply");
        assert!(self.html().await.contains("error-summary"));
        self.fill("phone", PHONE).await;
        self.submit().await;
        assert_eq!(self.here().await, "/apply/child");
        self.fill("child_iin", CHILD).await;
        if privilege {
            // A category, then its proof uploaded by the form that posts to storage.
            self.click("#category option:nth-child(2)").await;
            self.submit().await;
            assert_eq!(self.here().await, "/apply/proof");
            let dir = std::env::temp_dir().join(format!("kezek-proof-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            let text = dir.join("note.txt");
            std::fs::write(&text, "not a scan").unwrap();
            let pdf = dir.join("proof.pdf");
            std::fs::write(
                &pdf,
                b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
            )
            .unwrap();
            // Not a PDF, JPEG or PNG: refused with the reason, nothing kept.
            self.attach(&text).await;
            self.submit().await;
            assert_eq!(self.here().await, "/apply/proof/done");
            assert!(self.html().await.contains("error-summary"));
            self.attach(&pdf).await;
            self.submit().await;
            assert_eq!(self.here().await, "/apply/proof");
            assert!(self.html().await.contains(": 1</h2>"), "one proof uploaded");
            self.follow("a.button[href=\"/apply/sign\"]").await;
        } else {
            self.submit().await;
        }
        assert_eq!(self.here().await, "/apply/sign");
        if sign_with_eds {
            // NCALayer signs the application's body; the history says so.
            self.press("form[action=\"/apply/sign\"] [data-eds-sign]")
                .await;
            assert!(self.here().await.starts_with("/applications/"));
            let html = self.html().await;
            assert!(
                html.contains("ЭЦҚ-мен қол қойылды") || html.contains("подписано ЭЦП"),
                "{html}"
            );
        } else {
            let code = self.code();
            self.fill("code", &code).await;
            self.submit().await;
        }
        assert!(self.here().await.starts_with("/applications/"));
        // The confirmation links the registration document: a PDF.
        let link = self
            .client
            .find(Locator::Css("a.panel-link"))
            .await
            .expect("the registration document's link")
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let out = std::process::Command::new("curl")
            .args(["-s", &link])
            .output()
            .unwrap();
        assert!(out.stdout.starts_with(b"%PDF"), "a PDF at {link}");
    }

    /// The operator's voucher run for the child's district and age group (4 in December 2026:
    /// the groups count to the coming September).
    async fn voucher_run(&self, district: &str) {
        let run = self
            .local
            .api
            .service
            .voucher_run(
                None,
                RunInput {
                    district: district.into(),
                    age_group: 4,
                },
            )
            .await
            .unwrap();
        assert_eq!(run.offered, 1, "one voucher offered");
        self.local.deliver().await.unwrap();
    }

    /// Chooses a file for the page's file field.
    async fn attach(&self, path: &std::path::Path) {
        self.client
            .find(Locator::Css("input[type=file]"))
            .await
            .unwrap()
            .send_keys(&path.display().to_string())
            .await
            .unwrap();
    }

    /// Clicks something that stays on the page (a radio button).
    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// The district's free places for the age group, all kindergartens together.
    async fn free_places(&self, district: &str) -> u32 {
        self.local
            .api
            .service
            .store
            .kindergartens(Some(district))
            .await
            .unwrap()
            .iter()
            .map(|k| k.free_places.get(&4).copied().unwrap_or(0))
            .sum()
    }

    /// Reloads the page the browser is on (after business time moved).
    async fn reload(&mut self) {
        self.client.refresh().await.unwrap();
        self.check().await;
    }

    fn has_action(html: &str, action: &str) -> bool {
        html.contains(&format!("/{action}\""))
    }
}

/// The test PKI's CA, and the stand-in NCALayer holding the parent's key.
struct Eds {
    ca: kezek_eds::testing::TestCa,
    layer: ncalayer::NcaLayer,
}

async fn eds() -> Eds {
    use kezek_eds::testing::{TestCa, TestSubject};
    let ca = TestCa::root("Test NCA Portal");
    let parent = ca.issue(&TestSubject::person(PARENT, "ATA ANA"));
    let layer = ncalayer::NcaLayer::start(parent).await;
    Eds { ca, layer }
}

async fn walk(
    driver: &Driver,
    name: &str,
    lang: &str,
    (local, base): (Local, String),
    eds: &Eds,
) -> Walk {
    Walk {
        client: browser(driver, lang, &eds.layer.spki_sha256).await,
        local,
        base,
        name: format!("{name}-{lang}"),
        pages: 0,
        axe: axe_source(),
        checked: Vec::new(),
    }
}

/// 10:00 in Kokshetau on a Tuesday.
fn tuesday() -> chrono::DateTime<chrono::Utc> {
    chrono::FixedOffset::east_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// A parent registers, gets a voucher, confirms it with EDS through NCALayer from the
/// application's page, and chooses a kindergarten.
async fn to_a_confirmed_voucher(driver: &Driver, lang: &str, eds: &Eds) -> Walk {
    let runner = serve(tuesday(), eds).await;
    let mut w = walk(driver, "enrolment", lang, runner, eds).await;
    w.register("KOK", true, false).await;
    let html = w.html().await;
    assert!(!Walk::has_action(&html, "confirm"), "no voucher yet");
    // The position history (issue 19): registered, at its place, drawn and listed.
    let (moves, registered, left_queue) = match lang {
        "kk" => (
            "Кезектегі орынның өзгеруі",
            "Өтініш тіркелді",
            "Өтініш кезектен шықты",
        ),
        _ => (
            "Как менялось место в очереди",
            "Заявление зарегистрировано",
            "Заявление вышло из очереди",
        ),
    };
    assert!(html.contains(moves) && html.contains(registered), "{html}");
    assert!(html.contains("<polyline"), "the chart");
    // The wait estimate (issue 19): no run yet in this district, so no range, and why.
    let (estimate, no_range) = match lang {
        "kk" => ("Жолдама қашан келуі мүмкін", "Бұл болжам, уәде емес."),
        _ => ("Когда может прийти путёвка", "Это оценка, а не обещание."),
    };
    assert!(
        html.contains(estimate) && html.contains(no_range),
        "the estimate: {html}"
    );
    // The public queue check (issue 19): the number typed on /queue, without the session's
    // help (it shows nothing personal either way).
    let number = html
        .split("<h1>")
        .nth(1)
        .and_then(|h| h.split("</h1>").next())
        .expect("the registration number")
        .to_owned();
    let back = w.here().await;
    w.open("/queue").await;
    w.fill("number", &number.to_lowercase()).await;
    w.submit().await;
    let checked = w.html().await;
    let place = match lang {
        "kk" => "<dt>Кезектегі орны</dt>",
        _ => "<dt>Место в очереди</dt>",
    };
    assert!(
        checked.contains(place) && checked.contains(&number),
        "{checked}"
    );
    w.open(&back).await;
    w.voucher_run("KOK").await;
    w.reload().await;
    let html = w.html().await;
    assert!(
        html.contains(left_queue),
        "the voucher took it out of the queue: {html}"
    );
    assert!(Walk::has_action(&html, "confirm"), "{html}");
    assert!(Walk::has_action(&html, "refuse"));
    // Offered on Tuesday: Tuesday, Wednesday and Thursday are left to confirm it.
    let left = match lang {
        "kk" => "бүгінді қоса алғанда 3 жұмыс күні қалды",
        _ => "осталось рабочих дней: 3, включая сегодня",
    };
    assert!(html.contains(left), "{html}");
    assert!(
        html.contains("03.12.2026 23:59"),
        "the deadline in local time"
    );
    // The page's script asks NCALayer to sign; the form goes with the signature.
    let before = eds.layer.signatures();
    w.press("form[action$=\"/confirm\"] [data-eds-sign]").await;
    assert_eq!(eds.layer.signatures(), before + 1, "signed by NCALayer");
    let html = w.html().await;
    assert!(!Walk::has_action(&html, "confirm"), "confirmed once");
    let signed = match lang {
        "kk" => "ЭЦҚ-мен қол қойылды",
        _ => "подписано ЭЦП",
    };
    assert!(
        html.contains(signed),
        "the history says it was signed with EDS: {html}"
    );
    // The kindergarten: the district's list for the age group, one picked, signed by code.
    w.follow("a[href$=\"/choose\"]").await;
    assert!(w.here().await.ends_with("/choose"));
    let list = w.html().await;
    assert!(list.contains("type=\"radio\""), "{list}");
    assert!(list.contains("+7 716"), "the kindergartens' phones: {list}");
    // Nothing picked: the error summary, nothing changed.
    w.submit().await;
    assert!(w.html().await.contains("error-summary"));
    w.click("#kindergarten_id").await;
    let places_before = w.free_places("KOK").await;
    w.submit().await;
    assert!(
        w.here().await.ends_with("/choose/sign"),
        "{}",
        w.html().await
    );
    let code = w.code();
    w.fill("code", "000000").await;
    w.submit().await;
    assert!(
        w.html().await.contains("error-summary"),
        "a wrong code is refused"
    );
    assert_eq!(w.free_places("KOK").await, places_before, "nothing taken");
    if lang == "kk" {
        // Signed with the code.
        w.fill("code", &code).await;
        w.submit().await;
    } else {
        // Signed with EDS through NCALayer.
        let before = eds.layer.signatures();
        w.press("form[action$=\"/choose/sign\"] [data-eds-sign]")
            .await;
        assert_eq!(eds.layer.signatures(), before + 1, "signed by NCALayer");
    }
    let html = w.html().await;
    assert!(!html.contains("/choose\""), "chosen once: {html}");
    assert_eq!(
        w.free_places("KOK").await,
        places_before - 1,
        "one place taken"
    );
    let chosen = match lang {
        "kk" => "Таңдалған балабақша",
        _ => "Выбранный детский сад",
    };
    assert!(
        html.contains(chosen),
        "the choice on the application's page: {html}"
    );
    w.open("/journal").await;
    w
}

/// A parent lets the voucher's two working days pass: the sweep moves the child to the
/// stop-list; the parent restores it from the application's page.
async fn to_the_stop_list_and_back(driver: &Driver, lang: &str, eds: &Eds) -> Walk {
    let runner = serve(tuesday(), eds).await;
    let mut w = walk(driver, "stop-list", lang, runner, eds).await;
    w.register("STP", false, lang == "ru").await;
    w.voucher_run("STP").await;
    w.reload().await;
    assert!(Walk::has_action(&w.html().await, "confirm"));
    // Thursday's deadline passes; Monday's sweep finds it.
    w.local.clock.advance(chrono::Duration::days(6));
    w.local.api.service.sweep(Sweep::Expiry).await.unwrap();
    w.local.deliver().await.unwrap();
    w.reload().await;
    let html = w.html().await;
    assert!(!Walk::has_action(&html, "confirm"), "the offer has lapsed");
    assert!(Walk::has_action(&html, "restore"), "{html}");
    w.press("form[action$=\"/restore\"] button").await;
    let html = w.html().await;
    assert!(!Walk::has_action(&html, "restore"), "restored once");
    assert!(Walk::has_action(&html, "withdraw"), "back in the queue");
    // The profile: a bad phone comes back with the error summary and the other answers kept;
    // then the language of notices changes.
    w.follow("a[href=\"/profile\"]").await;
    w.fill("phone", "8 701").await;
    w.fill("email", "ata.ana@mail.kz").await;
    w.submit().await;
    let html = w.html().await;
    assert!(html.contains("error-summary"), "{html}");
    assert!(html.contains("ata.ana@mail.kz"), "the e-mail kept");
    w.fill("phone", PHONE).await;
    w.click("#language-en").await;
    w.submit().await;
    assert!(w.html().await.contains("role=\"status\""), "saved");
    let profile = w
        .local
        .api
        .service
        .profile(&kezek_core::Principal {
            iin: kezek_core::iin::Iin::try_from(PARENT.to_owned()).unwrap(),
            role: kezek_core::Role::Parent,
            districts: vec![],
        })
        .await
        .unwrap();
    assert_eq!(profile.email.as_deref(), Some("ata.ana@mail.kz"));
    assert_eq!(profile.language, kezek_core::domain::Language::En);
    // Linking a child the kinship register does not confirm: refused, with its reason.
    w.follow("a[href=\"/profile/children\"]").await;
    w.fill("child_iin", "850505300001").await;
    w.submit().await;
    assert!(w.html().await.contains("error-summary"));
    // Signed out, then in again with EDS: NCALayer signs the page's nonce.
    w.press("form.logout button").await;
    w.open("/login").await;
    w.follow("a[href=\"/login/eds\"]").await;
    let before = eds.layer.signatures();
    w.press("form[action=\"/login/eds\"] [data-eds-sign]").await;
    assert_eq!(eds.layer.signatures(), before + 1, "signed by NCALayer");
    assert_eq!(w.here().await, "/journal", "{}", w.html().await);
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parents_walk_the_portal_in_a_real_browser() {
    let driver = chromedriver().await;
    let eds = eds().await;
    let _ = std::fs::remove_dir_all(screenshots());
    let mut lines = Vec::new();
    for lang in ["kk", "ru"] {
        let w = to_a_confirmed_voucher(&driver, lang, &eds).await;
        lines.extend(w.checked.clone());
        w.client.close().await.unwrap();
        let w = to_the_stop_list_and_back(&driver, lang, &eds).await;
        lines.extend(w.checked.clone());
        w.client.close().await.unwrap();
        let w = desk_walk::operators_desk(&driver, lang, &eds).await;
        lines.extend(w.checked.clone());
        w.client.close().await.unwrap();
    }
    println!(
        "{} pages checked; screenshots in {}",
        lines.len(),
        screenshots().display()
    );
}
