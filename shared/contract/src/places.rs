//! Cases of the operators' places: a cut keeps a place for every voucher outstanding.

use crate::fixtures::*;
use crate::Subject;
use kezek_core::domain::Kindergarten;
use kezek_core::ports::*;
use std::sync::Arc;

fn with(kg: &Kindergarten, version: u64, places: u32) -> Kindergarten {
    let mut next = kg.clone();
    next.version = version;
    next.free_places.insert(3, places);
    next
}

/// Two vouchers outstanding over three places in two kindergartens: a cut that would leave fewer
/// places than vouchers is refused as stale and writes nothing; a cut that keeps them lands, and
/// the pool then offers no more than what is left.
pub async fn a_places_cut_keeps_a_place_per_voucher_outstanding<S: Subject>(s: Arc<S>) {
    let d = district();
    let a = kindergarten(&d, &[(3, 2)]);
    let b = kindergarten(&d, &[(3, 1)]);
    put_new(&*s, &a).await;
    put_new(&*s, &b).await;
    let t = base();
    let mut apps = Vec::new();
    for i in 0..3 {
        apps.push(submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await);
    }
    act(&*s, &apps[0], offer(&apps[0], t), t + minutes(10)).await;
    act(&*s, &apps[1], offer(&apps[1], t), t + minutes(10)).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 2);

    // 0 + 1 places for 2 vouchers: refused, nothing written
    assert_eq!(
        conflict_of(s.put_kindergarten(with(&a, 2, 0), Some(1)).await),
        Conflict::Stale
    );
    let stored = s.kindergarten(&a.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.free_places.get(&3)), (1, Some(&2)));

    // 1 + 1 places for 2 vouchers: lands
    s.put_kindergarten(with(&a, 2, 1), Some(1)).await.unwrap();
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 2);
    // the other kindergarten's cut would now leave 1: refused
    assert_eq!(
        conflict_of(s.put_kindergarten(with(&b, 2, 0), Some(1)).await),
        Conflict::Stale
    );
    // and the pool is full: the third offer is refused
    let third = decide(&apps[2], offer(&apps[2], t), t + minutes(20));
    assert_eq!(
        conflict_of(s.commit(third.clone()).await),
        Conflict::NoVoucherPlace
    );
    // places added: the third offer fits
    s.put_kindergarten(with(&b, 2, 2), Some(1)).await.unwrap();
    commit_ok(&*s, third).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 3);
}
