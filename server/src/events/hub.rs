//! The in-process fan-out: one broadcast channel per user with an open stream, so that a
//! write wakes that user's streams and no one else's.
//!
//! A channel exists only while someone listens: the last [`Subscription`] of a user
//! removes it when dropped, so a thousand users who come and go leave nothing behind.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::sync::broadcast;
use uuid::Uuid;

use super::Event;

/// How many notices a user's channel holds for its slowest stream. A stream that falls
/// further behind is told it lagged and reads what it missed from the database, so this
/// bounds memory, not correctness.
const CHANNEL_CAPACITY: usize = 64;

/// What a stream hears from the hub.
#[derive(Clone, Debug)]
pub enum Notice {
    /// An event of the stream's user.
    Event(Arc<Event>),
    /// Events may have been missed (the database listener reconnected): read them.
    CatchUp,
}

/// The streams of this instance, by user. Cheap to clone.
#[derive(Clone, Default)]
pub struct Hub {
    channels: Arc<Mutex<HashMap<Uuid, broadcast::Sender<Notice>>>>,
}

impl Hub {
    /// Starts listening to `user`'s events.
    #[must_use]
    pub fn subscribe(&self, user: Uuid) -> Subscription {
        let receiver = self
            .lock()
            .entry(user)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            user,
            receiver: Some(receiver),
        }
    }

    /// Wakes `event.user`'s streams on this instance, if it has any.
    pub fn publish(&self, event: Event) {
        let user = event.user;
        let mut channels = self.lock();
        if let Some(sender) = channels.get(&user)
            && sender.send(Notice::Event(Arc::new(event))).is_err()
        {
            // No receiver left (a subscription is being dropped right now).
            channels.remove(&user);
        }
    }

    /// Tells every stream on this instance to read what it may have missed.
    pub fn catch_up_all(&self) {
        for sender in self.lock().values() {
            let _ = sender.send(Notice::CatchUp);
        }
    }

    /// How many users have a stream open here.
    #[must_use]
    pub fn users(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, broadcast::Sender<Notice>>> {
        // Nothing panics while holding the lock, and the map stays consistent if it did.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One stream's place in its user's channel.
pub struct Subscription {
    hub: Hub,
    user: Uuid,
    receiver: Option<broadcast::Receiver<Notice>>,
}

impl Subscription {
    /// The next notice; [`broadcast::error::RecvError::Lagged`] when some were dropped.
    ///
    /// # Errors
    /// `Lagged` when the stream fell behind, `Closed` never while the hub lives.
    pub async fn recv(&mut self) -> Result<Notice, broadcast::error::RecvError> {
        match &mut self.receiver {
            Some(receiver) => receiver.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        let mut channels = self.hub.lock();
        if channels
            .get(&self.user)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            channels.remove(&self.user);
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::{Hub, Notice};
    use crate::events::{Event, Kind};

    fn event(user: Uuid, id: i64) -> Event {
        Event {
            user,
            id: Some(id),
            kind: Kind::Todos,
            data: "{}".to_owned(),
        }
    }

    #[tokio::test]
    async fn an_event_wakes_only_its_users_streams() {
        let hub = Hub::default();
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let mut alices = hub.subscribe(alice);
        let mut bobs = hub.subscribe(bob);
        hub.publish(event(alice, 1));
        match alices.recv().await {
            Ok(Notice::Event(e)) => assert_eq!(e.id, Some(1)),
            other => panic!("{other:?}"),
        }
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), bobs.recv())
                .await
                .is_err()
        );
    }

    #[test]
    fn the_last_subscription_of_a_user_removes_the_channel() {
        let hub = Hub::default();
        let user = Uuid::new_v4();
        let first = hub.subscribe(user);
        let second = hub.subscribe(user);
        assert_eq!(hub.users(), 1);
        drop(first);
        assert_eq!(hub.users(), 1);
        drop(second);
        assert_eq!(hub.users(), 0);
        hub.publish(event(user, 1));
        assert_eq!(hub.users(), 0);
    }
}
