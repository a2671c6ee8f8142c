//! The todo list as the page holds it: changed at once on screen (optimistic), sent to
//! the server behind the scenes, and never shown as saved when it is not.
//!
//! Every todo with a change the server has not confirmed carries a [`SyncState`]:
//! `Saving` while the change is on its way, `Unsaved` when it could not be delivered (no
//! answer, a 5xx, a 429). An unsaved todo is marked on screen with "Retry" and
//! "Discard"; retrying sends the todo's whole state as it is now, so any number of
//! retries and later edits end in one consistent write. A create is retried with the
//! `Idempotency-Key` it was first sent with, so a create whose answer was lost is never
//! applied twice. A change the server refused (4xx) is shown and the list reloaded.
//!
//! Changes made elsewhere arrive as [`Change`]s from the live stream ([`crate::live`]) and
//! are applied like a reload would: never over a change of this tab's that the server has
//! not confirmed, never under the cursor of a todo being edited (it gets the server's
//! state when the editing ends), and never as a second copy of a todo this tab is
//! creating.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
};

use chrono::{DateTime, Utc};
use futures::{
    FutureExt,
    channel::oneshot,
    future::{LocalBoxFuture, Shared},
};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;

use super::reconcile::{self, Local};
use crate::{
    api::{ApiError, endpoints},
    dto::{StatusFilter, Todo, TodoPatch},
    live::Change,
};

/// A todo on screen. `key` is the page's own handle: a new todo has one at once, and its
/// server id only when the server has answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub key: u64,
    pub title: String,
    pub completed: bool,
}

/// Where a todo's last change stands, when the server has not confirmed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncState {
    /// This many writes are on their way.
    Saving(usize),
    /// A write could not be delivered; `deleted` when it was the todo's deletion (the
    /// todo is shown again until that is retried or discarded).
    Unsaved { deleted: bool },
}

type IdFuture = Shared<LocalBoxFuture<'static, Option<Uuid>>>;

/// A creation as first sent. A retry sends exactly this again, with the same
/// `Idempotency-Key` (the server refuses the key with another body), and changes made
/// since follow as a patch.
#[derive(Clone)]
struct PendingCreate {
    idempotency_key: String,
    title: String,
    completed: bool,
}

/// What the store keeps beside the signals: plain data, read and written synchronously.
#[derive(Default)]
struct Book {
    /// The server id of each todo whose creation the server confirmed.
    ids: HashMap<u64, Uuid>,
    /// The id of each todo whose creation is on its way, for the changes that must wait
    /// for it; resolves to `None` if the creation fails.
    creating: HashMap<u64, IdFuture>,
    /// A list (or a todo the page has not seen) arrived while creations were not
    /// confirmed: fetch the list again once none is left, to show what other devices
    /// added.
    reload_when_created: bool,
    /// Each todo whose creation is not confirmed, as first sent.
    creates: HashMap<u64, PendingCreate>,
    /// What the server last confirmed of each todo, for "Discard", and for the end of an
    /// edit during which another device changed the todo.
    confirmed: HashMap<u64, Item>,
    /// The `updated_at` of the newest state of each todo seen from the server, so that an
    /// announcement of an older state (this tab's own earlier write) is not shown.
    versions: HashMap<u64, DateTime<Utc>>,
    /// Todos deleted on another device while being edited here: they go when the
    /// editing ends.
    deleted_elsewhere: HashSet<u64>,
    /// Todos removed on screen whose deletion is on its way or failed: key → the todo and
    /// where it was.
    deleting: HashMap<u64, (usize, Item)>,
    /// Counts finished writes and applied live changes, so that a list fetched before
    /// one of them is not mistaken for the current truth.
    writes_finished: u64,
    next_key: u64,
}

impl Book {
    fn id_of(&self, key: u64) -> Option<Uuid> {
        self.ids.get(&key).copied()
    }

    /// The key of the todo on screen with server id `id`.
    fn key_of(&self, id: Uuid) -> Option<u64> {
        self.ids
            .iter()
            .find_map(|(key, known)| (*known == id).then_some(*key))
    }

    /// Records `todo` as the server's current state of `key`.
    fn confirm(&mut self, key: u64, todo: Todo) {
        let version = self.versions.entry(key).or_insert(todo.updated_at);
        *version = (*version).max(todo.updated_at);
        self.confirmed.insert(key, Item::from_todo(key, todo));
    }

    /// Forgets everything about `key`.
    fn forget(&mut self, key: u64) {
        self.ids.remove(&key);
        self.creates.remove(&key);
        self.confirmed.remove(&key);
        self.versions.remove(&key);
        self.deleting.remove(&key);
        self.deleted_elsewhere.remove(&key);
    }

    /// The id of `key`, once its creation (if on its way) has been answered.
    fn id_when_created(&self, key: u64) -> LocalBoxFuture<'static, Option<Uuid>> {
        match (self.id_of(key), self.creating.get(&key)) {
            (Some(id), _) => futures::future::ready(Some(id)).boxed_local(),
            (None, Some(creating)) => creating.clone().boxed_local(),
            (None, None) => futures::future::ready(None).boxed_local(),
        }
    }

    fn new_key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }
}

/// The page's todos and the writes in flight.
#[derive(Clone, Copy)]
pub struct TodoStore {
    pub items: RwSignal<Vec<Item>>,
    /// `true` once the first load has answered.
    pub loaded: RwSignal<bool>,
    /// The last failure, shown to the user until dismissed or retried.
    pub error: RwSignal<Option<String>>,
    /// Writes sent and not yet answered.
    pub pending: RwSignal<usize>,
    /// The todos whose changes are not confirmed; a todo missing here is saved.
    pub sync: RwSignal<HashMap<u64, SyncState>>,
    /// The todo being edited, which changes from elsewhere leave alone until it is done.
    editing: StoredValue<Option<u64>>,
    book: StoredValue<Rc<RefCell<Book>>, LocalStorage>,
}

impl TodoStore {
    #[must_use]
    pub fn new() -> Self {
        Self {
            items: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            error: RwSignal::new(None),
            pending: RwSignal::new(0),
            sync: RwSignal::new(HashMap::new()),
            editing: StoredValue::new(None),
            book: StoredValue::new_local(Rc::default()),
        }
    }

    fn with_book<T>(&self, f: impl FnOnce(&mut Book) -> T) -> T {
        self.book.with_value(|book| f(&mut book.borrow_mut()))
    }

    /// The sync state of one todo (reactive, and only for that todo).
    #[must_use]
    pub fn sync_state(&self, key: u64) -> Memo<Option<SyncState>> {
        let sync = self.sync;
        Memo::new(move |_| sync.with(|states| states.get(&key).copied()))
    }

    /// Whether anything the user did is not on the server yet.
    #[must_use]
    pub fn has_unsaved_changes(&self) -> bool {
        self.pending.get_untracked() > 0 || !self.sync.with_untracked(HashMap::is_empty)
    }

    /// (Re)loads the list from the server, keeping every unconfirmed change on screen.
    pub fn load(&self) {
        let store = *self;
        spawn_local(async move {
            let finished_before = store.with_book(|book| book.writes_finished);
            match endpoints::todos(StatusFilter::All).await {
                // A write finished while the list was on its way: the list may predate
                // it. Ask again rather than show something older than the screen.
                Ok(_) if store.with_book(|book| book.writes_finished) != finished_before => {
                    store.load();
                }
                Ok(list) => {
                    store.merge(list.items);
                    store.loaded.set(true);
                }
                Err(error) => store.show_failure(&error),
            }
        });
    }

    fn merge(&self, server: Vec<Todo>) {
        let sync = self.sync.get_untracked();
        let items = self.items.get_untracked();
        let merged = self.with_book(|book| {
            let being_deleted: HashSet<Uuid> = book
                .deleting
                .keys()
                .filter_map(|key| book.id_of(*key))
                .collect();
            // A creation not confirmed yet, on its way or failed, may exist on the server
            // already (its answer lost): until it is confirmed or discarded, the page
            // cannot tell it from another device's todo.
            let creating = !book.creates.is_empty();
            book.reload_when_created |= creating;
            let id_of = |key| book.id_of(key);
            let editing = self.editing.get_value();
            let unconfirmed = |key| sync.contains_key(&key) || editing == Some(key);
            let local = Local {
                items: &items,
                id_of: &id_of,
                unconfirmed: &unconfirmed,
                being_deleted: &being_deleted,
                adopt_unknown: !creating,
            };
            let mut next_key = book.next_key;
            let merged = reconcile::merge(server, &local, || {
                next_key += 1;
                next_key
            });
            book.next_key = next_key;
            for (key, id) in &merged.new_ids {
                book.ids.insert(*key, *id);
            }
            for item in merged.items.iter().filter(|i| !sync.contains_key(&i.key)) {
                book.confirmed.insert(item.key, item.clone());
            }
            merged
        });
        self.items.set(merged.items);
    }

    fn show_failure(&self, error: &ApiError) {
        if *error == ApiError::SignedOut {
            return; // the auth context is already taking the user to sign in
        }
        self.error.set(Some(if error.is_transient() {
            format!("{error} Your changes are kept here, marked “Not saved”.")
        } else {
            format!("The change was not saved: {error}")
        }));
    }

    /// Counts a write to `keys` as started.
    fn begin(&self, keys: &[u64]) {
        self.pending.update(|n| *n += 1);
        self.sync.update(|states| {
            for key in keys {
                let state = states.entry(*key).or_insert(SyncState::Saving(0));
                if let SyncState::Saving(n) = state {
                    *n += 1;
                }
            }
        });
    }

    /// Counts a write to `keys` as finished with `result`. A failure worth retrying marks
    /// the todos unsaved; a refusal shows why and reloads the truth.
    fn finish(&self, keys: &[u64], deleted: bool, result: &Result<(), ApiError>) {
        self.pending.update(|n| *n -= 1);
        self.with_book(|book| book.writes_finished += 1);
        let unsaved = result.as_ref().is_err_and(ApiError::is_transient);
        self.sync.update(|states| {
            for key in keys {
                match states.get_mut(key) {
                    _ if unsaved => {
                        states.insert(*key, SyncState::Unsaved { deleted });
                    }
                    Some(SyncState::Saving(n)) if *n > 1 => *n -= 1,
                    Some(SyncState::Saving(_)) => {
                        states.remove(key);
                    }
                    _ => {}
                }
            }
        });
        if let Err(error) = result {
            self.show_failure(error);
            if !unsaved && *error != ApiError::SignedOut {
                self.forget_unconfirmed(keys);
                self.load();
            }
        }
    }

    /// After a refusal: the server's answer is final, so what it refused is dropped and
    /// the reload shows the truth.
    fn forget_unconfirmed(&self, keys: &[u64]) {
        self.sync
            .update(|states| keys.iter().for_each(|k| _ = states.remove(k)));
        let uncreated: Vec<u64> = self.with_book(|book| {
            keys.iter()
                .copied()
                .filter(|key| book.deleting.remove(key).is_none() && book.id_of(*key).is_none())
                .collect()
        });
        self.items
            .update(|items| items.retain(|item| !uncreated.contains(&item.key)));
    }

    /// Runs one write for `keys` in the background.
    fn write(
        &self,
        keys: Vec<u64>,
        deleted: bool,
        task: impl Future<Output = Result<(), ApiError>> + 'static,
    ) {
        let store = *self;
        store.begin(&keys);
        spawn_local(async move {
            let result = task.await;
            store.finish(&keys, deleted, &result);
        });
    }

    /// Adds a todo at the bottom.
    pub fn add(&self, title: String) {
        let key = self.with_book(|book| {
            let key = book.new_key();
            let create = PendingCreate {
                idempotency_key: new_idempotency_key(),
                title: title.clone(),
                completed: false,
            };
            book.creates.insert(key, create);
            key
        });
        self.items.update(|items| {
            items.push(Item {
                key,
                title,
                completed: false,
            });
        });
        self.send_create(key);
    }

    /// Sends the creation of `key` as first sent; what changed on screen since follows
    /// as a patch once the server has answered.
    ///
    /// It is sent once the creations added before it have been answered: the server
    /// orders todos by when it stored them, and two creations in flight at once can be
    /// stored in either order, which would move a todo typed second above the first on
    /// the next reload.
    fn send_create(&self, key: u64) {
        let Some(create) = self.with_book(|book| book.creates.get(&key).cloned()) else {
            return;
        };
        let (done, created) = oneshot::channel::<Option<Uuid>>();
        let id: IdFuture = async move { created.await.ok().flatten() }
            .boxed_local()
            .shared();
        let previous = self.with_book(|book| {
            let previous = book
                .creating
                .iter()
                .filter(|(earlier, _)| **earlier < key)
                .max_by_key(|(earlier, _)| **earlier)
                .map(|(_, id)| id.clone());
            book.creating.insert(key, id);
            previous
        });
        let store = *self;
        self.write(vec![key], false, async move {
            if let Some(previous) = previous {
                previous.await;
            }
            let result =
                endpoints::create_todo(create.title, create.completed, &create.idempotency_key)
                    .await;
            let id = result.as_ref().ok().map(|todo| todo.id);
            store.with_book(|book| {
                book.creating.remove(&key);
                if let Some(id) = id {
                    book.ids.insert(key, id);
                }
            });
            let _ = done.send(id);
            let todo = result?;
            let created = Item::from_todo(key, todo.clone());
            store.with_book(|book| {
                book.creates.remove(&key);
                book.confirm(key, todo);
            });
            store.reload_if_creations_settled();
            if let Some(now) = store.item(key).filter(|now| *now != created) {
                store.patch(
                    key,
                    TodoPatch {
                        title: Some(now.title),
                        completed: Some(now.completed),
                    },
                );
            }
            Ok(())
        });
    }

    fn item(&self, key: u64) -> Option<Item> {
        self.items
            .with_untracked(|items| items.iter().find(|i| i.key == key).cloned())
    }

    fn is_unsaved(&self, key: u64) -> bool {
        self.sync
            .with_untracked(|states| matches!(states.get(&key), Some(SyncState::Unsaved { .. })))
    }

    /// Sends a change of one todo, once its id is known. A todo already marked unsaved
    /// is sent whole instead, which also retries what failed before.
    fn patch(&self, key: u64, patch: TodoPatch) {
        if self.is_unsaved(key) {
            self.retry(key);
            return;
        }
        let store = *self;
        self.write(vec![key], false, async move {
            let id_when_created = store.with_book(|book| book.id_when_created(key));
            let Some(id) = id_when_created.await else {
                // Its creation failed: the todo is marked unsaved, and its retry will
                // create it with this change in it.
                return Ok(());
            };
            let todo = endpoints::update_todo(id, patch).await?;
            store.confirm(key, todo);
            Ok(())
        });
    }

    fn confirm(&self, key: u64, todo: Todo) {
        self.with_book(|book| book.confirm(key, todo));
    }

    fn edit(&self, key: u64, change: impl FnOnce(&mut Item)) {
        self.items.update(|items| {
            if let Some(item) = items.iter_mut().find(|i| i.key == key) {
                change(item);
            }
        });
    }

    pub fn set_completed(&self, key: u64, completed: bool) {
        self.edit(key, |item| item.completed = completed);
        self.patch(
            key,
            TodoPatch {
                title: None,
                completed: Some(completed),
            },
        );
    }

    pub fn rename(&self, key: u64, title: String) {
        self.edit(key, |item| item.title.clone_from(&title));
        self.patch(
            key,
            TodoPatch {
                title: Some(title),
                completed: None,
            },
        );
    }

    pub fn remove(&self, key: u64) {
        let uncreated = self.is_unsaved(key) && self.with_book(|book| book.id_of(key).is_none());
        let Some(position) = self
            .items
            .with_untracked(|items| items.iter().position(|i| i.key == key))
        else {
            return;
        };
        let item = self.items.try_update(|items| items.remove(position));
        // Whatever was unsaved about it, the deletion is what counts now.
        self.sync.update(|states| _ = states.remove(&key));
        if uncreated {
            // It never reached the server: nothing to delete there.
            self.with_book(|book| book.creates.remove(&key));
            self.reload_if_creations_settled();
            return;
        }
        if let Some(item) = item {
            self.with_book(|book| book.deleting.insert(key, (position, item)));
        }
        self.send_delete(key);
    }

    fn send_delete(&self, key: u64) {
        let store = *self;
        self.write(vec![key], true, async move {
            let result = store.delete_on_server(key).await;
            store.deletion_finished(key, result.as_ref().is_err_and(ApiError::is_transient));
            result
        });
    }

    async fn delete_on_server(&self, key: u64) -> Result<(), ApiError> {
        let id_when_created = self.with_book(|book| book.id_when_created(key));
        let Some(id) = id_when_created.await else {
            return Ok(());
        };
        match endpoints::delete_todo(id).await {
            // Already gone: a retry after a lost answer, or another device.
            Err(error) if error.status() == Some(404) => Ok(()),
            other => other,
        }
    }

    /// A deletion that could not be delivered shows the todo again, marked, so the user
    /// sees it is still there; any other outcome forgets it.
    fn deletion_finished(&self, key: u64, undelivered: bool) {
        let Some((position, item)) = self.with_book(|book| book.deleting.remove(&key)) else {
            return;
        };
        if undelivered {
            self.items.update(|items| {
                if !items.iter().any(|i| i.key == key) {
                    items.insert(position.min(items.len()), item);
                }
            });
        }
    }

    pub fn set_all_completed(&self, completed: bool) {
        let (keys, unsaved): (Vec<u64>, Vec<u64>) = self.items.with_untracked(|items| {
            items
                .iter()
                .filter(|i| i.completed != completed)
                .map(|i| i.key)
                .partition(|key| !self.is_unsaved(*key))
        });
        self.items
            .update(|items| items.iter_mut().for_each(|i| i.completed = completed));
        // Todos that failed to save are sent whole, with this change in them.
        unsaved.into_iter().for_each(|key| self.retry(key));
        let store = *self;
        let changed = keys.clone();
        self.write(keys, false, async move {
            // Todos still being created must exist before the bulk change can cover them.
            store.await_ids(&changed).await;
            endpoints::toggle_all(completed).await?;
            store.with_book(|book| {
                for key in changed {
                    if let Some(item) = book.confirmed.get_mut(&key) {
                        item.completed = completed;
                    }
                }
            });
            Ok(())
        });
    }

    async fn await_ids(&self, keys: &[u64]) {
        let futures: Vec<_> =
            self.with_book(|book| keys.iter().map(|key| book.id_when_created(*key)).collect());
        futures::future::join_all(futures).await;
    }

    pub fn clear_completed(&self) {
        let done: Vec<(usize, Item)> = self.items.with_untracked(|items| {
            items
                .iter()
                .enumerate()
                .filter(|(_, i)| i.completed)
                .map(|(position, i)| (position, i.clone()))
                .collect()
        });
        let (uncreated, keys): (Vec<u64>, Vec<u64>) = done
            .iter()
            .map(|(_, i)| i.key)
            .partition(|key| self.is_unsaved(*key) && self.with_book(|b| b.id_of(*key).is_none()));
        self.items.update(|items| items.retain(|i| !i.completed));
        // Whatever was unsaved about them, their deletion is what counts now.
        self.sync.update(|states| {
            for key in uncreated.iter().chain(&keys) {
                states.remove(key);
            }
        });
        self.with_book(|book| {
            for (position, item) in done {
                book.creates.remove(&item.key);
                if !uncreated.contains(&item.key) {
                    book.deleting.insert(item.key, (position, item));
                }
            }
        });
        self.reload_if_creations_settled();
        let store = *self;
        let cleared = keys.clone();
        self.write(keys, true, async move {
            store.await_ids(&cleared).await;
            let result = endpoints::clear_completed().await.map(|_| ());
            let undelivered = result.as_ref().is_err_and(ApiError::is_transient);
            for key in cleared {
                store.deletion_finished(key, undelivered);
            }
            result
        });
    }

    /// Sends an unsaved todo again, whole: its deletion, its creation (with the same
    /// idempotency key), or its current title and state.
    pub fn retry(&self, key: u64) {
        let Some(SyncState::Unsaved { deleted }) =
            self.sync.with_untracked(|s| s.get(&key).copied())
        else {
            return;
        };
        self.sync.update(|states| _ = states.remove(&key));
        if deleted {
            self.remove(key);
        } else if self.with_book(|book| book.id_of(key).is_none()) {
            self.send_create(key);
        } else if let Some(item) = self.item(key) {
            self.patch(
                key,
                TodoPatch {
                    title: Some(item.title),
                    completed: Some(item.completed),
                },
            );
        }
    }

    /// Retries every unsaved todo, and the list itself if it never loaded.
    pub fn retry_all(&self) {
        self.error.set(None);
        if !self.loaded.get_untracked() {
            self.load();
        }
        let unsaved: Vec<u64> = self.sync.with_untracked(|states| {
            states
                .iter()
                .filter(|(_, s)| matches!(s, SyncState::Unsaved { .. }))
                .map(|(key, _)| *key)
                .collect()
        });
        unsaved.into_iter().for_each(|key| self.retry(key));
    }

    /// Gives up an unsaved change: a todo that was never created goes, any other goes
    /// back to what the server last confirmed.
    pub fn discard(&self, key: u64) {
        if !self.is_unsaved(key) {
            return;
        }
        self.sync.update(|states| _ = states.remove(&key));
        let confirmed = self.with_book(|book| {
            book.creates.remove(&key);
            book.confirmed.get(&key).cloned()
        });
        self.reload_if_creations_settled();
        self.items.update(|items| match confirmed {
            Some(confirmed) => {
                if let Some(item) = items.iter_mut().find(|i| i.key == key) {
                    *item = confirmed;
                }
            }
            None => items.retain(|i| i.key != key),
        });
    }
}

impl TodoStore {
    /// Fetches the list again if one arrived (or a todo was announced) while creations
    /// were unconfirmed, now that none is left.
    fn reload_if_creations_settled(&self) {
        let reload = self.with_book(|book| {
            let reload = book.reload_when_created && book.creates.is_empty();
            book.reload_when_created &= !reload;
            reload
        });
        if reload {
            self.load();
        }
    }

    /// Applies a change announced by the live stream.
    pub fn apply(&self, change: &Change) {
        // A list on its way may predate this change: `load` fetches it again.
        self.with_book(|book| book.writes_finished += 1);
        match change {
            Change::Reload => self.load(),
            Change::Todo(todo) => self.apply_todo(todo),
            Change::Deleted(id) => self.apply_deleted(*id),
        }
    }

    fn apply_todo(&self, todo: &Todo) {
        let Some(key) = self.with_book(|book| book.key_of(todo.id)) else {
            self.adopt(todo);
            return;
        };
        let current = self.with_book(|book| {
            let older = book
                .versions
                .get(&key)
                .is_some_and(|seen| *seen > todo.updated_at);
            if !older {
                book.confirm(key, todo.clone());
            }
            !older && !book.deleting.contains_key(&key)
        });
        let untouched = !self.sync.with_untracked(|s| s.contains_key(&key))
            && self.editing.get_value() != Some(key);
        if current && untouched {
            self.show_confirmed(key);
        }
    }

    /// A todo the page has not seen: another device's creation, or this tab's own
    /// whose answer has not arrived yet. While creations are on their way the two
    /// cannot be told apart, so the list is fetched again once they are answered.
    fn adopt(&self, todo: &Todo) {
        if !self.loaded.get_untracked() {
            return; // the first list, on its way, will have it
        }
        let key = self.with_book(|book| {
            if !book.creates.is_empty() {
                book.reload_when_created = true;
                return None;
            }
            let key = book.new_key();
            book.ids.insert(key, todo.id);
            book.confirm(key, todo.clone());
            Some(key)
        });
        if let Some(key) = key {
            let item = Item::from_todo(key, todo.clone());
            self.items.update(|items| items.push(item));
        }
    }

    fn apply_deleted(&self, id: Uuid) {
        let Some(key) = self.with_book(|book| book.key_of(id)) else {
            return;
        };
        if self.with_book(|book| book.deleting.contains_key(&key)) {
            return; // this tab's own deletion
        }
        if self.editing.get_value() == Some(key) {
            self.with_book(|book| book.deleted_elsewhere.insert(key));
            return;
        }
        self.drop_todo(key);
    }

    fn drop_todo(&self, key: u64) {
        self.with_book(|book| book.forget(key));
        self.sync.update(|states| _ = states.remove(&key));
        self.items.update(|items| items.retain(|i| i.key != key));
    }

    /// Shows what the server last confirmed of `key`.
    fn show_confirmed(&self, key: u64) {
        let Some(confirmed) = self.with_book(|book| book.confirmed.get(&key).cloned()) else {
            return;
        };
        if self.item(key).is_some_and(|shown| shown != confirmed) {
            self.edit(key, |item| *item = confirmed);
        }
    }

    /// The user started editing `key`: changes from elsewhere wait.
    pub fn start_editing(&self, key: u64) {
        self.editing.set_value(Some(key));
    }

    /// The user stopped editing `key` (before any rename is sent): what changed
    /// elsewhere meanwhile shows now.
    pub fn stop_editing(&self, key: u64) {
        self.forget_editing(key);
        if self.with_book(|book| book.deleted_elsewhere.contains(&key)) {
            self.drop_todo(key);
        } else if !self.sync.with_untracked(|s| s.contains_key(&key)) {
            self.show_confirmed(key);
        }
    }

    /// The row of `key` went away (its editing cannot end normally).
    pub fn forget_editing(&self, key: u64) {
        if self.editing.get_value() == Some(key) {
            self.editing.set_value(None);
        }
    }
}

impl Item {
    fn from_todo(key: u64, todo: Todo) -> Self {
        Self {
            key,
            title: todo.title,
            completed: todo.completed,
        }
    }
}

impl Default for TodoStore {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh `Idempotency-Key`: 104 random bits in hex, plenty to never repeat within one
/// user's day (the key's lifetime on the server).
fn new_idempotency_key() -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let random = || (js_sys::Math::random() * f64::from(1u32 << 26) * f64::from(1u32 << 26)) as u64;
    format!("{:013x}{:013x}", random(), random())
}
