//! Cases of the lookups by a key other than the id: the registration number.

use crate::fixtures::*;
use kezek_core::domain::*;
use kezek_core::lifecycle::Command;
use kezek_core::values::RegistrationNumber;
use std::sync::Arc;

use crate::Subject;

/// An application is found by its registration number in every status, and another district's
/// number (even with the same sequence) finds only its own application.
pub async fn application_by_registration_number<S: Subject>(s: Arc<S>) {
    let mut d = district();
    // A prefix of this case's own: the fixtures' districts all share `ТСТ`.
    d.prefix = format!("Т{}", &d.code[1..9]);
    let mut e = district();
    e.prefix = format!("Т{}", &e.code[1..9]);
    let a = submit(&*s, &d, Sub::new(child(born()), base())).await;
    let b = submit(&*s, &e, Sub::new(child(born()), base())).await;
    assert_eq!(a.registration_number, format!("{}.2026.1", d.prefix));
    assert_eq!(b.registration_number, format!("{}.2026.1", e.prefix));
    let found = s
        .application_by_number(&RegistrationNumber::of(&a))
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(|x| x.id.as_str()), Some(a.id.as_str()));
    let found = s
        .application_by_number(&RegistrationNumber::of(&b))
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(|x| x.id.as_str()), Some(b.id.as_str()));

    // Archived: still found, at its new version.
    act(&*s, &a, Command::Withdraw, base() + minutes(5)).await;
    let found = s
        .application_by_number(&RegistrationNumber::of(&a))
        .await
        .unwrap()
        .expect("found after withdrawal");
    assert_eq!(found.status(), Status::Archived);
    assert_eq!(found.version, 2);

    // A number nobody was given.
    let mut unknown = a.clone();
    unknown.registration_number = format!("{}.2026.2", d.prefix);
    assert_eq!(
        s.application_by_number(&RegistrationNumber::of(&unknown))
            .await
            .unwrap(),
        None
    );
}
