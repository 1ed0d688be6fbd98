//! The operators of a simulated year besides their runs: places changed now and then (more, or
//! fewer, down to none), a kindergarten's details edited, privilege claims verified or
//! rejected, and an operator of another district trying the same (refused, nothing written).

use crate::check::{self, Violation};
use crate::parts::operator;
use crate::world::World;
use kezek_core::domain::*;
use kezek_core::inputs::*;
use kezek_core::ports::*;
use kezek_core::Failure;
use std::collections::BTreeMap;

fn read(e: StoreError) -> Violation {
    Violation::new("read", e.to_string())
}

impl World {
    /// The district's kindergartens as stored.
    async fn kindergartens_of(&self, d: usize) -> Result<Vec<Kindergarten>, Violation> {
        self.store
            .kindergartens(Some(&self.districts[d]))
            .await
            .map_err(read)
    }

    /// An operator sets one age group's free places of one kindergarten: 0 to 4. A cut below the
    /// vouchers outstanding is refused (`places_promised`) and writes nothing. The places the
    /// operators set are then the free places plus the children enrolled there.
    pub(crate) async fn places(&mut self, d: usize) -> Result<(), Violation> {
        let kgs = self.kindergartens_of(d).await?;
        if kgs.is_empty() {
            return Ok(());
        }
        let kg = &kgs[self.dice.below(kgs.len() as u64) as usize];
        let age = 1 + self.dice.below(6) as u8;
        let to = self.dice.below(5) as i64;
        let who = operator(&self.districts[d]);
        let r = self
            .svc
            .set_places(&who, &kg.id, BTreeMap::from([(age.to_string(), to)]))
            .await;
        self.report.operator_actions += 1;
        self.note(format!(
            "operator sets {} age {age} to {to}: {}",
            kg.id,
            r.as_ref().map_or_else(|f| f.code(), |_| "ok")
        ));
        let after = self
            .store
            .kindergarten(&kg.id)
            .await
            .map_err(read)?
            .ok_or_else(|| Violation::new("read", format!("{} is gone", kg.id)))?;
        match &r {
            Err(f) if f.code() == "places_promised" => {
                self.report.refused += 1;
                if after.version != kg.version || after.free_places != kg.free_places {
                    return Err(Violation::new(
                        "a refused change writes nothing",
                        format!("{} changed though its cut was refused", kg.id),
                    ));
                }
            }
            // failed or lost in a fault: what the store holds is read below
            Err(Failure::Unavailable(_)) => {}
            Err(f) => {
                return Err(Violation::new(
                    "an operator's own change is accepted",
                    format!("setting places of {} was refused {}", kg.id, f.code()),
                ))
            }
            Ok(_) => {}
        }
        // the places now set: the free ones and the children enrolled there
        let enrolled = check::applications(self)
            .await
            .iter()
            .filter(|a| a.status() == Status::Enrolled)
            .filter_map(|a| a.voucher())
            .filter(|v| v.age_group == age && v.kindergarten_id.as_deref() == Some(&kg.id))
            .count() as u32;
        let free = after.free_places.get(&age).copied().unwrap_or(0);
        self.capacity
            .insert((kg.id.clone(), age.to_string()), free + enrolled);
        Ok(())
    }

    /// An operator edits a kindergarten's details; its places stay as they are.
    pub(crate) async fn catalogue(&mut self, d: usize) -> Result<(), Violation> {
        let kgs = self.kindergartens_of(d).await?;
        let Some(kg) = kgs.first() else {
            return Ok(());
        };
        let who = operator(&self.districts[d]);
        let input = KindergartenInput {
            name_kk: format!("{} {}", kg.name_kk, self.report.steps % 10),
            name_ru: kg.name_ru.clone(),
            district: kg.district.clone(),
            address: kg.address.clone(),
            phone: kg.phone.clone(),
            ownership: kg.ownership,
            ddo_type: kg.ddo_type,
            languages: kg.languages,
            admission: kg.admission,
            free_places: None,
        };
        let r = self.svc.update_kindergarten(&who, &kg.id, input).await;
        self.report.operator_actions += 1;
        self.note(format!(
            "operator edits {}: {}",
            kg.id,
            r.as_ref().map_or_else(|f| f.code(), |_| "ok")
        ));
        Ok(())
    }

    /// The district's privilege claims reviewed: most verified, some rejected (the child moves
    /// to the general order). An operator of another district tries first: refused, nothing
    /// written.
    pub(crate) async fn review(&mut self, d: usize) -> Result<(), Violation> {
        let who = operator(&self.districts[d]);
        let Ok(claims) = self.svc.privilege_claims(&who, &self.districts[d]).await else {
            return Ok(());
        };
        let other = operator(&self.districts[(d + 1) % self.districts.len()]);
        for c in claims {
            if self.districts.len() > 1 && self.dice.chance(200) {
                let before = self
                    .store
                    .application(&c.application_id)
                    .await
                    .map_err(read)?;
                let r = self
                    .svc
                    .verify_privilege(&other, &c.application_id, Language::Ru)
                    .await;
                let after = self
                    .store
                    .application(&c.application_id)
                    .await
                    .map_err(read)?;
                self.note(format!(
                    "another district's operator verifies {}: {}",
                    c.registration_number,
                    r.as_ref().map_or_else(|f| f.code(), |_| "ok")
                ));
                // refused by the access policy, or not reached at all (a killed process)
                let refused = matches!(r, Err(Failure::Forbidden { .. } | Failure::Unavailable(_)));
                if !refused || before != after {
                    return Err(Violation::new(
                        "one access policy",
                        format!(
                            "an operator of another district was answered {:?} on {}",
                            r.map(|_| ()).map_err(|f| f.code()),
                            c.registration_number
                        ),
                    ));
                }
                self.report.refused += 1;
            }
            let r = if self.dice.chance(700) {
                self.svc
                    .verify_privilege(&who, &c.application_id, Language::Kk)
                    .await
            } else {
                let reason = RejectInput {
                    reason: "Құжат жарамсыз".into(),
                };
                self.svc
                    .reject_privilege(&who, &c.application_id, reason, Language::Kk)
                    .await
            };
            self.report.operator_actions += 1;
            self.note(format!(
                "operator reviews {} ({}): {}",
                c.registration_number,
                c.category,
                r.as_ref().map_or_else(|f| f.code(), |_| "ok")
            ));
        }
        Ok(())
    }
}
