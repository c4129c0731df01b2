//! The institution registry through the real cluster: civil affairs registers a qualified
//! institution (every unmet condition reported at once, nothing stored otherwise); each caller
//! reads what its scope covers; documents warn 30 days ahead and expire at 24:00 local of their
//! last day; a renewal reschedules; civil affairs suspends and reinstates.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use relief_proto::foster::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

cluster_tests!(
    a_qualified_institution_is_registered_and_read_in_scope,
    start = kit::at("2026-01-15T10:00:00+08:00"),
    |kit| {
        let request = registration(
            "盘锦市兴隆台区社会福利院",
            qualification("2027-03-31", "2026-12-31"),
        );
        let institution = kit
            .register(&xlt_civil_affairs(), request.clone())
            .await
            .unwrap();
        assert_eq!(institution.status, pb::InstitutionStatus::Active as i32);
        assert_eq!(institution.documents_expire_on, "2026-12-31");
        assert!(!institution.documents_expired);
        assert_eq!(institution.registered_by, "xlt-civil-affairs");
        let id = institution.institution_id.clone();
        assert_eq!(uuid_version(&id), 7);

        // A retry answers the same; one event.
        let retried = kit.register(&xlt_civil_affairs(), request).await.unwrap();
        assert_eq!(retried, institution);
        let registered = kit.events::<pb::InstitutionRegistered>().await;
        assert_eq!(registered.len(), 1);
        assert_eq!(
            (
                registered[0].institution_id.as_str(),
                registered[0].division.as_str()
            ),
            (id.as_str(), "211103")
        );
        assert_eq!(registered[0].documents_expire_on, "2026-12-31");

        // Scope: the city bureau and any station see it; another county does not; the
        // institution sees itself, another institution does not.
        for who in [
            city_civil_affairs(),
            province(),
            sz_station(),
            institution_caller(&id),
        ] {
            assert_eq!(
                kit.get(&who, &id).await.unwrap(),
                institution,
                "{}",
                who.unit
            );
            assert_eq!(
                kit.list(&who, Default::default()).await.unwrap(),
                vec![id.clone()]
            );
        }
        let other = institution_caller("01936f0e-0000-7000-8000-000000000000");
        for who in [sz_civil_affairs(), other.clone()] {
            let error = kit.get(&who, &id).await.unwrap_err();
            assert_eq!(error.code(), Code::NotFound, "{}", who.unit);
            assert!(kit.list(&who, Default::default()).await.unwrap().is_empty());
        }
        // Filters.
        let filtered =
            |kind: pb::InstitutionKind, government_run: Option<bool>| pb::ListInstitutionsRequest {
                kind: kind as i32,
                government_run,
                ..Default::default()
            };
        let city = city_civil_affairs();
        assert_eq!(
            kit.list(
                &city,
                filtered(pb::InstitutionKind::ElderlyCare, Some(true))
            )
            .await
            .unwrap(),
            vec![id.clone()]
        );
        assert!(
            kit.list(&city, filtered(pb::InstitutionKind::SocialWelfare, None))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            kit.list(
                &city,
                filtered(pb::InstitutionKind::Unspecified, Some(false))
            )
            .await
            .unwrap()
            .is_empty()
        );
        let in_sz = pb::ListInstitutionsRequest {
            division: "211102".to_owned(),
            ..Default::default()
        };
        assert!(kit.list(&city, in_sz.clone()).await.unwrap().is_empty());
        let error = kit.list(&xlt_civil_affairs(), in_sz).await.unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);

        // The city bureau registers in any division of the city; a county bureau only in its own.
        let mut elsewhere =
            registration("双台子区养老院", qualification("2027-03-31", "2027-03-31"));
        elsewhere.division = "211102".to_owned();
        let error = kit
            .register(&xlt_civil_affairs(), elsewhere.clone())
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["division"]);
        kit.register(&city_civil_affairs(), elsewhere)
            .await
            .unwrap();
        kit.stop().await;
    }
);

cluster_tests!(
    an_unqualified_or_malformed_registration_is_refused_and_nothing_stored,
    start = kit::at("2026-01-15T10:00:00+08:00"),
    |kit| {
        // Operating 11 months, no food licence, no emergency rules: one error naming all three.
        let mut evidence = qualification("2027-03-31", "2027-03-31");
        evidence.operating_since = "2025-02-15".to_owned();
        evidence.food_business_licence = None;
        evidence.internal_rules.as_mut().unwrap().emergencies = Some(pb::InternalRule {
            adopted: false,
            document_reference: String::new(),
        });
        let error = kit
            .register(&xlt_civil_affairs(), registration("某养老院", evidence))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), reason(&error).as_str()),
            (Code::FailedPrecondition, "INSTITUTION_NOT_QUALIFIED")
        );
        // Machine-readable: one PreconditionFailure violation per unmet condition.
        let mut unmet: Vec<String> = error
            .get_error_details()
            .precondition_failure()
            .map(|failure| {
                failure
                    .violations
                    .iter()
                    .map(|v| v.subject.clone())
                    .collect()
            })
            .unwrap_or_default();
        unmet.sort();
        assert_eq!(
            unmet,
            [
                "food_business_licence",
                "internal_rules.emergencies",
                "operating_since"
            ],
            "{error:?}"
        );
        let message = error.message();
        assert!(message.contains("3 qualification condition"), "{message}");
        for condition in [
            "operating_since",
            "food_business_licence",
            "internal_rules.emergencies",
        ] {
            assert!(
                message.contains(condition),
                "{condition} missing from {message}"
            );
        }

        // A document already expired is unmet too.
        let error = kit
            .register(
                &xlt_civil_affairs(),
                registration("某养老院", qualification("2026-01-14", "2027-03-31")),
            )
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "INSTITUTION_NOT_QUALIFIED");
        assert!(error.message().contains("service_qualification: expired"));

        // Malformed input: every bad field at once.
        let mut malformed = registration("", qualification("2027-13-01", "2027-03-31"));
        malformed.kind = 0;
        malformed.capacity = 0;
        malformed.division = "2111".to_owned();
        let error = kit
            .register(&xlt_civil_affairs(), malformed)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        let mut bad = fields(&error);
        bad.sort();
        assert_eq!(
            bad,
            [
                "capacity",
                "division",
                "kind",
                "name",
                "service_qualification.expires_on"
            ]
        );

        // The province only reads; a station does not register.
        let valid = registration("某养老院", qualification("2027-03-31", "2027-03-31"));
        let error = kit.register(&province(), valid.clone()).await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let error = kit.register(&sz_station(), valid).await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);

        assert_eq!(kit.stored_institutions().await, 0);
        assert!(kit.events::<pb::InstitutionRegistered>().await.is_empty());
        kit.stop().await;
    }
);

cluster_tests!(
    documents_warn_and_expire_renewal_reschedules_and_civil_affairs_suspends,
    start = kit::at("2026-01-15T10:00:00+08:00"),
    |kit| {
        let county = xlt_civil_affairs();
        // A: its service qualification lapses on 2026-03-31. B: its food licence too, renewed.
        let a = kit
            .register(
                &county,
                registration("甲养老院", qualification("2026-03-31", "2027-06-30")),
            )
            .await
            .unwrap();
        let b = kit
            .register(
                &county,
                registration("乙养老院", qualification("2027-06-30", "2026-03-31")),
            )
            .await
            .unwrap();
        assert_eq!(a.documents_expire_on, "2026-03-31");

        // The warning: 24:00 local of 2026-03-01, 30 days before the last valid day.
        kit.set_clock(instant_at("2026-03-01T23:59:00+08:00"));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            kit.events::<pb::InstitutionDocumentExpiring>()
                .await
                .is_empty()
        );
        kit.set_clock(instant_at("2026-03-02T00:00:00+08:00"));
        let expiring = kit.wait_events::<pb::InstitutionDocumentExpiring>(2).await;
        let mut warned: Vec<_> = expiring
            .iter()
            .map(|e| (e.institution_id.clone(), e.document, e.expires_on.clone()))
            .collect();
        warned.sort();
        let mut expected = vec![
            (
                a.institution_id.clone(),
                pb::DocumentKind::ServiceQualification as i32,
                "2026-03-31".to_owned(),
            ),
            (
                b.institution_id.clone(),
                pb::DocumentKind::FoodBusinessLicence as i32,
                "2026-03-31".to_owned(),
            ),
        ];
        expected.sort();
        assert_eq!(warned, expected);
        for who in [institution_caller(&a.institution_id), county.clone()] {
            let notes = kit
                .notifications(&who, "INSTITUTION_DOCUMENT_EXPIRING")
                .await;
            let subjects: Vec<_> = notes.iter().map(|n| n.subject.clone()).collect();
            assert!(
                subjects.contains(&format!("institution/{}", a.institution_id)),
                "{}: {subjects:?}",
                who.unit
            );
        }

        // B renews its food licence: a later expiry is required; the old date's deadlines go.
        let renew = |expires_on: &str| pb::RenewInstitutionDocumentRequest {
            request_id: request_id(),
            institution_id: b.institution_id.clone(),
            document: pb::DocumentKind::FoodBusinessLicence as i32,
            renewed: Some(pb::Document {
                number: "JY32111030099999".to_owned(),
                expires_on: expires_on.to_owned(),
            }),
        };
        let error = kit
            .foster(&county)
            .await
            .renew_institution_document(renew("2026-03-31"))
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "RENEWAL_NOT_LATER");
        let error = kit
            .foster(&sz_civil_affairs())
            .await
            .renew_institution_document(renew("2027-03-31"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        let renewed = kit
            .foster(&county)
            .await
            .renew_institution_document(renew("2027-03-31"))
            .await
            .unwrap()
            .into_inner()
            .institution
            .unwrap();
        assert_eq!(renewed.documents_expire_on, "2027-03-31");
        assert_eq!(
            kit.events::<pb::InstitutionDocumentRenewed>().await.len(),
            1
        );

        // The expiry: 24:00 local of 2026-03-31. A expired, B not.
        kit.set_clock(instant_at("2026-04-01T00:00:00+08:00"));
        let expired = kit.wait_events::<pb::InstitutionDocumentExpired>(1).await;
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].institution_id, a.institution_id);
        assert_eq!(
            kit.notifications(&county, "INSTITUTION_DOCUMENT_EXPIRED")
                .await
                .len(),
            1
        );
        let states = kit
            .texts(
                "SELECT state FROM deadlines WHERE subject = $1 ORDER BY id",
                &format!("institution/{}", b.institution_id),
            )
            .await;
        // The food licence's old pair cancelled, its new pair and the qualification's pending.
        assert_eq!(
            states.iter().filter(|s| *s == "cancelled").count(),
            1,
            "{states:?}"
        );
        let a_now = kit.get(&county, &a.institution_id).await.unwrap();
        assert!(a_now.documents_expired);
        assert!(
            !kit.get(&county, &b.institution_id)
                .await
                .unwrap()
                .documents_expired
        );

        // Suspend and reinstate, each once.
        let mut client = kit.foster(&county).await;
        let suspend = || pb::SuspendInstitutionRequest {
            request_id: request_id(),
            institution_id: b.institution_id.clone(),
            reason: "消防检查不合格".to_owned(),
        };
        let reinstate = || pb::ReinstateInstitutionRequest {
            request_id: request_id(),
            institution_id: b.institution_id.clone(),
            reason: "整改完成".to_owned(),
        };
        let error = client.reinstate_institution(reinstate()).await.unwrap_err();
        assert_eq!(reason(&error), "INSTITUTION_NOT_SUSPENDED");
        let error = client
            .suspend_institution(pb::SuspendInstitutionRequest {
                reason: String::new(),
                ..suspend()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["reason"]);
        let error = kit
            .foster(&province())
            .await
            .suspend_institution(suspend())
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let suspended = client
            .suspend_institution(suspend())
            .await
            .unwrap()
            .into_inner()
            .institution
            .unwrap();
        assert_eq!(suspended.status, pb::InstitutionStatus::Suspended as i32);
        assert_eq!(suspended.suspension_reason, "消防检查不合格");
        let error = client.suspend_institution(suspend()).await.unwrap_err();
        assert_eq!(reason(&error), "INSTITUTION_ALREADY_SUSPENDED");
        let listed = kit
            .list(
                &sz_station(),
                pb::ListInstitutionsRequest {
                    status: pb::InstitutionStatus::Suspended as i32,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed, vec![b.institution_id.clone()]);
        let reinstated = client
            .reinstate_institution(reinstate())
            .await
            .unwrap()
            .into_inner()
            .institution
            .unwrap();
        assert_eq!(reinstated.status, pb::InstitutionStatus::Active as i32);
        assert_eq!(kit.events::<pb::InstitutionSuspended>().await.len(), 1);
        assert_eq!(kit.events::<pb::InstitutionReinstated>().await.len(), 1);
        kit.stop().await;
    }
);

/// The version nibble of a UUID text.
fn uuid_version(id: &str) -> u32 {
    id.chars().nth(14).and_then(|c| c.to_digit(16)).unwrap()
}
