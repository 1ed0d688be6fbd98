//! One notification's e-mail and SMS go at once, each claimed and recorded on its own: one
//! channel's failure neither stops the other nor makes a retry send it twice.

use async_trait::async_trait;
use kezek_core::domain::*;
use kezek_core::notifications::Delivered;
use kezek_core::ports::{BuiltinRegisters, Channel, OutgoingMessage, SendError, Sender, SimClock};
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::Service;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Sends every SMS; the e-mail fails with `email_error` while it is set.
#[derive(Default)]
struct EmailFails {
    email_error: Mutex<Option<SendError>>,
    sent: Mutex<Vec<Channel>>,
}

#[async_trait]
impl Sender for EmailFails {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        if m.channel == Channel::Email {
            if let Some(e) = self.email_error.lock().unwrap().clone() {
                return Err(e);
            }
        }
        self.sent.lock().unwrap().push(m.channel);
        Ok(())
    }
}

fn service() -> Service {
    let store = Arc::new(EmbeddedStore::new());
    Service::new(
        store.clone(),
        store,
        Arc::new(SimClock::new()),
        Arc::new(BuiltinRegisters),
    )
}

fn notification(id: &str) -> Notification {
    let params: BTreeMap<String, Param> = [("code".to_owned(), Param::Text("123456".into()))]
        .into_iter()
        .collect();
    Notification {
        id: id.into(),
        application_id: None,
        // A notice with an e-mail and an SMS (a one-time code would be SMS only).
        kind: NotificationKind::PrivilegeRejected,
        language: Language::Kk,
        email: Some("parent@example.kz".into()),
        phone: Some("+77011234567".into()),
        params: [
            (
                "registration_number".to_owned(),
                Param::Text("КОК.2026.1".into()),
            ),
            ("reason".to_owned(), Param::Text("анықтама жоқ".into())),
        ]
        .into_iter()
        .chain(params)
        .collect(),
        created_at: kezek_core::time::local(chrono::Utc::now()),
    }
}

#[tokio::test]
async fn a_failed_email_neither_stops_the_sms_nor_repeats_it() {
    let svc = service();
    let n = notification("n-retry");
    let both = svc.render(&n).await.unwrap();
    assert_eq!(both.len(), 2, "e-mail and SMS");

    // A transient e-mail failure: the SMS goes, the notification is retried.
    let sender = EmailFails::default();
    *sender.email_error.lock().unwrap() = Some(SendError {
        message: "throttled".into(),
        retryable: true,
    });
    assert_eq!(svc.deliver(&n, &sender).await.unwrap(), Delivered::Retry);
    assert_eq!(*sender.sent.lock().unwrap(), [Channel::Sms]);
    // The retry sends the e-mail only.
    *sender.email_error.lock().unwrap() = None;
    assert_eq!(svc.deliver(&n, &sender).await.unwrap(), Delivered::Sent);
    assert_eq!(*sender.sent.lock().unwrap(), [Channel::Sms, Channel::Email]);
    // And a redelivery sends nothing.
    assert_eq!(svc.deliver(&n, &sender).await.unwrap(), Delivered::Sent);
    assert_eq!(sender.sent.lock().unwrap().len(), 2);

    // A permanent e-mail failure: the SMS still reaches the parent; the notification is failed.
    let n = notification("n-permanent");
    let sender = EmailFails::default();
    *sender.email_error.lock().unwrap() = Some(SendError {
        message: "address rejected".into(),
        retryable: false,
    });
    assert_eq!(svc.deliver(&n, &sender).await.unwrap(), Delivered::Failed);
    assert_eq!(*sender.sent.lock().unwrap(), [Channel::Sms]);
}
