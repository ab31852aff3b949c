//! The coordinator's decisions on their own: retried and recovering InitProducerId calls
//! (KIP-360), epoch exhaustion, which states refuse which requests, and what a coordinator
//! restored from a log directory takes back.

use kafka_protocol::error::ResponseError;

use super::coordinator::{EndOutcome, InitOutcome, TxnCoordinator};

const NOW: i64 = 1_700_000_000_000;

fn ready(outcome: InitOutcome) -> (i64, i16) {
    match outcome {
        InitOutcome::Ready { producer_id, epoch } => (producer_id, epoch),
        other => panic!("expected a producer id, got {other:?}"),
    }
}

#[test]
fn a_retried_init_with_the_previous_epoch_gets_the_same_answer() {
    let txns = TxnCoordinator::new(60_000);
    let (pid, epoch) = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    let bumped = ready(txns.init_producer_id(Some("a"), 1000, Some((pid, epoch)), NOW));
    assert_eq!(bumped, (pid, epoch + 1));
    let retried = ready(txns.init_producer_id(Some("a"), 1000, Some((pid, epoch)), NOW));
    assert_eq!(retried, bumped, "a retry does not bump again");
    let next = ready(txns.init_producer_id(Some("a"), 1000, Some(bumped), NOW));
    assert_eq!(next, (pid, epoch + 2));
    assert_eq!(
        txns.init_producer_id(Some("a"), 1000, Some((pid, epoch)), NOW),
        InitOutcome::Failed(ResponseError::ProducerFenced)
    );
    assert_eq!(
        txns.init_producer_id(Some("a"), 1000, Some((pid + 100, 0)), NOW),
        InitOutcome::Failed(ResponseError::ProducerFenced)
    );
}

#[test]
fn an_exhausted_epoch_moves_to_a_new_producer_id() {
    let txns = TxnCoordinator::new(60_000);
    let (pid, _) = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    let mut last = (pid, 0);
    while last.1 < i16::MAX - 1 {
        last = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    }
    assert_eq!(last, (pid, i16::MAX - 1));
    let rotated = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    assert_ne!(rotated.0, pid);
    assert_eq!(rotated.1, 0);
}

#[test]
fn adding_needs_the_current_producer_and_epoch() {
    let txns = TxnCoordinator::new(60_000);
    let (pid, epoch) = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    let partition = || vec![("t".to_string(), 0)];
    assert_eq!(
        txns.add("b", pid, epoch, partition(), vec![], NOW),
        Err(ResponseError::InvalidProducerIdMapping)
    );
    assert_eq!(
        txns.add("a", pid + 1, epoch, partition(), vec![], NOW),
        Err(ResponseError::InvalidProducerIdMapping)
    );
    assert_eq!(
        txns.add("a", pid, epoch + 1, partition(), vec![], NOW),
        Err(ResponseError::ProducerFenced)
    );
    assert_eq!(
        txns.add("", pid, epoch, partition(), vec![], NOW),
        Err(ResponseError::InvalidRequest)
    );
    txns.add("a", pid, epoch, partition(), vec![], NOW).unwrap();
    let described = txns.describe("a").unwrap();
    assert_eq!((described.state, described.start_ms), ("Ongoing", NOW));
    txns.add("a", pid, epoch, partition(), vec!["g".into()], NOW + 5)
        .unwrap();
    assert_eq!(
        txns.describe("a").unwrap().start_ms,
        NOW,
        "the start is kept"
    );
}

#[test]
fn only_ongoing_transactions_time_out() {
    let txns = TxnCoordinator::new(60_000);
    let (pid, epoch) = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    assert!(txns.time_out(NOW + 5000).is_empty(), "nothing open");
    txns.add("a", pid, epoch, vec![("t".into(), 0)], vec![], NOW)
        .unwrap();
    let plans = txns.time_out(NOW + 1001);
    assert_eq!(plans.len(), 1);
    assert_eq!((plans[0].epoch, plans[0].commit), (epoch + 1, false));
    assert!(txns.time_out(NOW + 5000).is_empty(), "already aborting");
    assert_eq!(
        txns.end("a", pid, epoch, false, false, NOW),
        EndOutcome::Done {
            error: Some(ResponseError::ProducerFenced),
            producer_id: -1,
            epoch: -1
        }
    );
    assert_eq!(txns.finish(&plans[0], NOW), (pid, epoch + 1));
    assert_eq!(txns.describe("a").unwrap().state, "CompleteAbort");
}

#[test]
fn a_restored_coordinator_completes_decided_transactions_and_never_repeats_a_producer_id() {
    use std::sync::Arc;

    use crate::config::BrokerConfig;
    use crate::storage::Storage;

    let dir = tempfile::tempdir().unwrap();
    let config = BrokerConfig::from_properties(Default::default()).unwrap();
    let open = || Arc::new(Storage::open(dir.path(), &config).unwrap());
    let storage = open();
    let txns = TxnCoordinator::new(60_000);
    assert!(txns.restore(storage.clone(), NOW).is_empty());
    let (committing, epoch) = ready(txns.init_producer_id(Some("c"), 1000, None, NOW));
    let (aborting, _) = ready(txns.init_producer_id(Some("a"), 1000, None, NOW));
    let (idle, _) = ready(txns.init_producer_id(Some("i"), 1000, None, NOW));
    let (idempotent, _) = ready(txns.init_producer_id(None, 1000, None, NOW));
    let t0 = vec![("t".to_string(), 0)];
    for (id, pid) in [("c", committing), ("a", aborting), ("i", idle)] {
        txns.add(id, pid, epoch, t0.clone(), Vec::new(), NOW)
            .unwrap();
    }
    assert!(matches!(
        txns.end("c", committing, epoch, true, false, NOW),
        EndOutcome::Write(_)
    ));
    assert!(matches!(
        txns.end("a", aborting, epoch, false, false, NOW),
        EndOutcome::Write(_)
    ));
    drop(txns);
    drop(storage);

    let txns = TxnCoordinator::new(60_000);
    let decided = txns.restore(open(), NOW);
    assert_eq!(decided.len(), 2);
    assert_eq!(decided[&committing], (epoch, true));
    assert_eq!(decided[&aborting], (epoch, false));
    assert_eq!(txns.describe("c").unwrap().state, "CompleteCommit");
    assert_eq!(txns.describe("a").unwrap().state, "CompleteAbort");
    assert_eq!(txns.describe("i").unwrap().state, "Empty");
    assert_eq!(
        ready(txns.init_producer_id(Some("i"), 1000, None, NOW)),
        (idle, epoch + 1)
    );
    let (fresh, _) = ready(txns.init_producer_id(None, 1000, None, NOW));
    assert!(
        fresh > idempotent,
        "{fresh} repeats an id handed out before"
    );
}
