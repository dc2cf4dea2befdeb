//! Event notification between the write path and waiting `/sync` requests.
//!
//! A writer publishes the new stream position after its commit. Each waiting
//! request keeps a [`Subscription`] and wakes when the position passes what it
//! has seen. The in-process [`LocalBus`] is the default. A multi-node bus
//! (NATS) implements the same trait by feeding positions it receives into a
//! local channel.

use std::fmt::Debug;
use std::time::Duration;

use tokio::sync::watch;

/// Publishes stream positions and hands out subscriptions.
pub trait Bus: Send + Sync + Debug + 'static {
    /// Announces that the stream reached `position`. Lower positions than
    /// the last published are ignored, so late publishers cannot move it back.
    fn publish(&self, position: i64);

    /// Starts listening. Subscribe **before** reading state: a position
    /// published between the read and the wait then still wakes the waiter.
    fn subscribe(&self) -> Subscription;

    /// Returns the highest position published so far. Every position up to
    /// it is committed, because writers publish only after their commit.
    fn position(&self) -> i64;
}

/// A listener for stream positions.
#[derive(Debug)]
pub struct Subscription {
    receiver: watch::Receiver<i64>,
}

impl Subscription {
    /// Waits until the published position exceeds `seen` or `timeout` passes.
    /// Returns the latest published position either way.
    pub async fn wait_beyond(&mut self, seen: i64, timeout: Duration) -> i64 {
        let wait = self.receiver.wait_for(|position| *position > seen);
        let woken = match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(position)) => Some(*position),
            // Sender dropped (shutdown) or timed out: report what we have.
            Ok(Err(_)) | Err(_) => None,
        };
        woken.unwrap_or_else(|| *self.receiver.borrow())
    }
}

/// The in-process bus.
#[derive(Debug)]
pub struct LocalBus {
    sender: watch::Sender<i64>,
}

impl LocalBus {
    /// Creates a bus whose position starts at `position`.
    pub fn new(position: i64) -> Self {
        LocalBus { sender: watch::Sender::new(position) }
    }
}

impl Bus for LocalBus {
    fn publish(&self, position: i64) {
        self.sender.send_if_modified(|current| {
            if position > *current {
                *current = position;
                true
            } else {
                false
            }
        });
    }

    fn subscribe(&self) -> Subscription {
        Subscription { receiver: self.sender.subscribe() }
    }

    fn position(&self) -> i64 {
        *self.sender.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_on_publish() {
        let bus = std::sync::Arc::new(LocalBus::new(5));
        let mut subscription = bus.subscribe();
        let publisher = bus.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            publisher.publish(6);
        });
        assert_eq!(subscription.wait_beyond(5, Duration::from_secs(10)).await, 6);
    }

    #[tokio::test]
    async fn publish_before_wait_not_lost() {
        let bus = LocalBus::new(1);
        let mut subscription = bus.subscribe();
        bus.publish(2);
        let position = subscription.wait_beyond(1, Duration::from_secs(10)).await;
        assert_eq!(position, 2);
    }

    #[tokio::test]
    async fn times_out_with_current_position() {
        let bus = LocalBus::new(3);
        let mut subscription = bus.subscribe();
        let position = subscription.wait_beyond(3, Duration::from_millis(10)).await;
        assert_eq!(position, 3);
    }

    #[test]
    fn position_reports_latest() {
        let bus = LocalBus::new(3);
        bus.publish(9);
        bus.publish(7);
        assert_eq!(bus.position(), 9);
    }

    #[tokio::test]
    async fn position_never_moves_back() {
        let bus = LocalBus::new(10);
        bus.publish(4);
        let mut subscription = bus.subscribe();
        assert_eq!(subscription.wait_beyond(0, Duration::from_millis(1)).await, 10);
    }
}
