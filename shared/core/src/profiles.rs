//! Profiles: the own profile, the first login's name from the certificate, linking a child.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::iin::Iin;
use crate::inputs::*;
use crate::service::Service;
use crate::time::local_date;
use crate::views::*;

impl Service {
    pub async fn profile(&self, who: &Principal) -> Result<ProfileView, Failure> {
        let p = self.store.profile(&who.iin).await?;
        Ok(profile_view(&who.iin, p))
    }

    pub async fn update_profile(
        &self,
        who: &Principal,
        input: ProfileInput,
    ) -> Result<ProfileView, Failure> {
        // The name is printed on official documents: it comes from the individuals register or
        // the EDS certificate, never from the user (service.md, Identity).
        if input.name.is_some() {
            return Err(Failure::bad("name_not_editable", "name"));
        }
        let mut p = self.store.profile(&who.iin).await?.unwrap_or(Profile {
            iin: who.iin.clone(),
            name: None,
            email: None,
            phone: None,
            language: Language::Ru,
        });
        if let Some(e) = input.email {
            p.email = Some(valid_email(&e)?.into_string());
        }
        if let Some(ph) = input.phone {
            p.phone = Some(valid_phone(&ph)?.into_string());
        }
        if let Some(l) = input.language {
            p.language = Language::parse(&l).ok_or(Failure::bad("invalid_language", "language"))?;
        }
        self.store.put_profile(p.clone()).await?;
        Ok(profile_view(&who.iin, Some(p)))
    }

    /// The caller is the child's parent or legal representative by the kinship register
    /// (service.md: submitting and linking check the same): 400 `applicant_is_child` for one's own
    /// IIN, 403 `kinship_not_confirmed` when the register does not confirm it.
    pub(crate) async fn check_kinship(&self, who: &Principal, child: &Iin) -> Result<(), Failure> {
        if *child == who.iin {
            return Err(Failure::bad("applicant_is_child", "child_iin"));
        }
        if !self.registers.kinship(&who.iin, child).await? {
            return Err(Failure::Forbidden {
                code: "kinship_not_confirmed",
            });
        }
        Ok(())
    }

    /// Links a child's IIN to the parent after the kinship register confirms it.
    pub async fn link_child(
        &self,
        who: &Principal,
        input: LinkInput,
        lang: Language,
    ) -> Result<LinkedChildView, Failure> {
        access::permit(who, Operation::LinkChild, On::Caller)?;
        let now = self.now();
        let child = parse_iin(&input.child_iin, local_date(now), "child_iin")?;
        self.check_kinship(who, &child).await?;
        self.store.link_child(&who.iin, &child).await?;
        let mut applications = Vec::new();
        for a in self.store.applications_by_child(&child).await? {
            applications.push(self.view(&a, now, lang).await?);
        }
        Ok(LinkedChildView {
            child: ChildView {
                iin_masked: child.masked(),
                birth_date: child.birth_date(),
            },
            kinship_confirmed: true,
            applications,
        })
    }

    /// After a login: an EDS certificate's name fills an empty profile name. Whether the profile
    /// still needs an e-mail (the first login asks for one).
    pub async fn after_login(
        &self,
        who: &Principal,
        name: Option<String>,
    ) -> Result<bool, Failure> {
        access::permit(who, Operation::Profile, On::Caller)?;
        let profile = self.store.profile(&who.iin).await?;
        // The name is never the user's to set (service.md, "Identity"): the certificate's name
        // wins whenever an EDS login gives one; otherwise the individuals register's fills a
        // profile that has none (a register that does not answer leaves it for the next login).
        let name = match name.filter(|n| !n.trim().is_empty()) {
            Some(n) => Some(n),
            None if profile.as_ref().is_none_or(|p| p.name.is_none()) => {
                match self.registers.person(&who.iin).await {
                    Ok(person) => person.and_then(|p| p.name),
                    Err(e) => {
                        tracing::warn!(error = %e, "individuals register: name not read");
                        None
                    }
                }
            }
            None => None,
        };
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            let name: String = name
                .trim()
                .chars()
                .filter(|c| !c.is_control() && !crate::inputs::is_hidden_format(*c))
                .take(200)
                .collect();
            if profile
                .as_ref()
                .is_none_or(|p| p.name.as_deref() != Some(name.as_str()))
            {
                let mut p = profile.clone().unwrap_or(Profile {
                    iin: who.iin.clone(),
                    name: None,
                    email: None,
                    phone: None,
                    language: Language::Ru,
                });
                p.name = Some(name);
                self.store.put_profile(p).await?;
            }
        }
        Ok(profile.and_then(|p| p.email).is_none())
    }
}

fn profile_view(iin: &Iin, p: Option<Profile>) -> ProfileView {
    let p = p.unwrap_or(Profile {
        iin: iin.clone(),
        name: None,
        email: None,
        phone: None,
        language: Language::Ru,
    });
    ProfileView {
        iin: iin.masked(),
        email_required: p.email.is_none(),
        name: p.name,
        email: p.email,
        phone: p.phone,
        language: p.language,
    }
}
