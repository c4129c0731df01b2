//! An identity confirmed by the identity service (IdentityConfirmed) reaches the case: the
//! confirmed name, ID number, household address and division replace what was stated (fields
//! the identity leaves empty keep the stated value; sex, birth date, cause and relatives stay),
//! the identity status becomes CONFIRMED, the origin is the household division, and the case
//! gets the blind index of the ID number, so the person's other cases are linked (repeat
//! vagrancy, through the one linking path: RepeatLinked, split links never re-linked).
//!
//! The identity is asked of the identity service in [`prepare`], outside the consumer's
//! transaction (see [`relief_runtime::events::consumer`]); [`apply`] only writes.
//!
//! Applied again (the same event after its applied id was lost, or a second confirmation with
//! the same identity), it writes the same values and finds every link already there: no second
//! `RepeatLinked`, and a link staff split stays split.

use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::db::Tx;
use relief_runtime::events::Prepared;
use relief_runtime::personal_data::{self, BlindIndexKind};
use relief_runtime::{ApiError, ServiceContext};

use super::lookup::IdentityLookup;
use crate::cases::{
    CaseConn, PersonRecord, StoredCase, earlier_cases, fetch_case, link_repeats,
    record_confirmed_identity,
};
use crate::departure::transfer_chain;

/// The identity confirmed in `event`, for [`apply`]: what identity's `GetIdentityFile`
/// returns, read with intake's purpose. It holds personal data, so its `Debug` shows none.
struct ConfirmedIdentity(pb::IdentityDetails);

impl std::fmt::Debug for ConfirmedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfirmedIdentity(..)")
    }
}

/// Before the transaction: asks identity who was confirmed (an RPC with a deadline; an error
/// is retried by the consumer). Nothing is asked for a case intake does not have: there is
/// nothing to update. Writes nothing.
pub async fn prepare(
    context: &ServiceContext,
    lookup: &IdentityLookup,
    event: &pb::IdentityConfirmed,
) -> Result<Prepared, ApiError> {
    if fetch_case(CaseConn::Db(&context.db), &event.case_id)
        .await?
        .is_none()
    {
        return Ok(Prepared::default());
    }
    let identity = lookup.identity(&event.file_id).await?;
    Ok(Prepared::new(ConfirmedIdentity(identity)))
}

/// Applies `event` with the identity [`prepare`] fetched.
pub async fn apply(
    context: &ServiceContext,
    tx: &mut Tx,
    event: &pb::IdentityConfirmed,
    prepared: Prepared,
) -> Result<(), ApiError> {
    // Identity learnt every case from this service's feed: a case missing here has nothing to
    // update.
    let Some(row) = fetch_case(CaseConn::Tx(tx), &event.case_id).await? else {
        return Ok(());
    };
    // A case that appeared after `prepare` looked: the retry prepares again and finds it.
    let Some(ConfirmedIdentity(identity)) = prepared.take::<ConfirmedIdentity>() else {
        return Err(ApiError::internal(
            "the confirmed identity was not fetched before the transaction",
        ));
    };
    let keys = personal_data::require(context.personal_data.as_deref())?;
    let mut person = PersonRecord::decrypt(keys, &row.id, &row.person)?;
    merge(&mut person, &identity);
    let origin_division = [
        person.household_division.as_str(),
        event.origin_division.as_str(),
        row.origin_division.as_str(),
    ]
    .into_iter()
    .find(|division| !division.is_empty())
    .unwrap_or_default()
    .to_owned();
    let index_opt = (!person.id_number.is_empty())
        .then(|| keys.blind_index(BlindIndexKind::IdNumber, &person.id_number))
        .transpose()?;
    record_confirmed_identity(
        tx,
        &row.id,
        &person.encrypt(keys, &row.id)?,
        index_opt.as_deref(),
        &origin_division,
        intake::IdentityStatus::Confirmed as i32,
    )
    .await?;
    if let Some(index) = index_opt {
        link_other_cases(context, tx, &row, &index, &origin_division).await?;
    }
    Ok(())
}

/// The confirmed values of `identity` replace the stated ones; empty ones keep them.
fn merge(person: &mut PersonRecord, identity: &pb::IdentityDetails) {
    for (stated, confirmed) in [
        (&mut person.name, &identity.name),
        (&mut person.id_number, &identity.id_number),
        (&mut person.household_address, &identity.household_address),
        (&mut person.household_division, &identity.household_division),
    ] {
        if !confirmed.trim().is_empty() {
            confirmed.trim().clone_into(stated);
        }
    }
}

/// Links the case `row` with every other case of the ID-number index `index`: the earlier ones
/// as its repeats, and it as a repeat of the later ones. Cases of the same stay (a transfer
/// continues it) are not repeats.
async fn link_other_cases(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &StoredCase,
    index: &str,
    origin_division: &str,
) -> Result<(), ApiError> {
    let now = context.clock.now();
    let same_stay = transfer_chain(tx, &row.id).await?;
    let (mut earlier, mut later) = (Vec::new(), Vec::new());
    for other_id in earlier_cases(tx, index).await? {
        if same_stay.contains(&other_id) {
            continue;
        }
        let Some(other) = fetch_case(CaseConn::Tx(tx), &other_id).await? else {
            continue;
        };
        if (other.admitted_at, other.id.as_str()) < (row.admitted_at, row.id.as_str()) {
            earlier.push(other.id);
        } else if !transfer_chain(tx, &other.id).await?.contains(&row.id) {
            later.push(other);
        }
    }
    link_repeats(tx, now, &row.id, &earlier, origin_division).await?;
    for other in later {
        let this = std::slice::from_ref(&row.id);
        link_repeats(tx, now, &other.id, this, &other.origin_division).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmed_values_replace_stated_ones_and_empty_ones_keep_them() {
        let mut person = PersonRecord {
            name: "老王".to_owned(),
            sex: 1,
            id_number: String::new(),
            household_address: "不详".to_owned(),
            cause: "务工无着".to_owned(),
            ..PersonRecord::default()
        };
        merge(
            &mut person,
            &pb::IdentityDetails {
                name: String::new(),
                id_number: "21110319800101107X".to_owned(),
                household_address: "辽宁省盘锦市兴隆台区".to_owned(),
                household_division: "211103".to_owned(),
            },
        );
        assert_eq!(person.name, "老王");
        assert_eq!(person.id_number, "21110319800101107X");
        assert_eq!(person.household_address, "辽宁省盘锦市兴隆台区");
        assert_eq!(person.household_division, "211103");
        assert_eq!((person.sex, person.cause.as_str()), (1, "务工无着"));
    }
}
