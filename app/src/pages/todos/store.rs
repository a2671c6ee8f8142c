//! The todo list as the page holds it: changed at once on screen (optimistic), sent to
//! the server behind the scenes, and reloaded from the server with a visible message if
//! the server refuses a change.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use futures::{
    FutureExt,
    future::{LocalBoxFuture, Shared},
};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;

use crate::{
    api::{ApiError, endpoints},
    dto::{StatusFilter, TodoPatch},
};

/// A todo on screen. `key` is the page's own handle: a new todo has one at once, and its
/// server id only when the server has answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub key: u64,
    pub title: String,
    pub completed: bool,
}

type IdFuture = Shared<LocalBoxFuture<'static, Option<Uuid>>>;

/// The page's todos and the writes in flight.
#[derive(Clone, Copy)]
pub struct TodoStore {
    pub items: RwSignal<Vec<Item>>,
    /// `true` once the first load has answered.
    pub loaded: RwSignal<bool>,
    /// The last failure, shown to the user until the next success.
    pub error: RwSignal<Option<String>>,
    /// Writes sent and not yet answered; the page asks before unloading while any are.
    pub pending: RwSignal<usize>,
    ids: StoredValue<Rc<RefCell<HashMap<u64, IdFuture>>>, LocalStorage>,
    next_key: StoredValue<u64>,
}

impl TodoStore {
    #[must_use]
    pub fn new() -> Self {
        Self {
            items: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            error: RwSignal::new(None),
            pending: RwSignal::new(0),
            ids: StoredValue::new_local(Rc::default()),
            next_key: StoredValue::new(0),
        }
    }

    fn new_key(&self) -> u64 {
        self.next_key.update_value(|k| *k += 1);
        self.next_key.get_value()
    }

    fn set_id(&self, key: u64, id: Option<Uuid>) {
        let ready: IdFuture = futures::future::ready(id).boxed_local().shared();
        self.ids
            .with_value(|ids| ids.borrow_mut().insert(key, ready));
    }

    async fn id_of(&self, key: u64) -> Option<Uuid> {
        let future = self.ids.with_value(|ids| ids.borrow().get(&key).cloned())?;
        future.await
    }

    /// (Re)loads every todo from the server.
    pub fn load(&self) {
        let store = *self;
        spawn_local(async move {
            match endpoints::todos(StatusFilter::All).await {
                Ok(list) => {
                    store.ids.with_value(|ids| ids.borrow_mut().clear());
                    let items = list
                        .items
                        .into_iter()
                        .map(|todo| {
                            let key = store.new_key();
                            store.set_id(key, Some(todo.id));
                            Item {
                                key,
                                title: todo.title,
                                completed: todo.completed,
                            }
                        })
                        .collect();
                    store.items.set(items);
                    store.loaded.set(true);
                }
                Err(error) => store.fail(&error, false),
            }
        });
    }

    /// Runs a write, counting it as pending; on failure shows why and reloads the truth.
    fn write(&self, task: impl std::future::Future<Output = Result<(), ApiError>> + 'static) {
        let store = *self;
        store.pending.update(|n| *n += 1);
        spawn_local(async move {
            let result = task.await;
            store.pending.update(|n| *n -= 1);
            match result {
                Ok(()) => {}
                Err(error) => store.fail(&error, true),
            }
        });
    }

    fn fail(&self, error: &ApiError, reload: bool) {
        if *error == ApiError::SignedOut {
            return; // the auth context is already taking the user to sign in
        }
        self.error.set(Some(match error {
            ApiError::Network => error.to_string(),
            other => format!("The change was not saved: {other}"),
        }));
        if reload && *error != ApiError::Network {
            self.load();
        }
    }

    /// Adds a todo at the bottom.
    pub fn add(&self, title: String) {
        let key = self.new_key();
        self.items.update(|items| {
            items.push(Item {
                key,
                title: title.clone(),
                completed: false,
            });
        });
        let (done, created) = futures::channel::oneshot::channel::<Option<Uuid>>();
        let id: IdFuture = async move { created.await.ok().flatten() }
            .boxed_local()
            .shared();
        self.ids.with_value(|ids| ids.borrow_mut().insert(key, id));
        self.write(async move {
            match endpoints::create_todo(title).await {
                Ok(todo) => {
                    let _ = done.send(Some(todo.id));
                    Ok(())
                }
                Err(error) => {
                    let _ = done.send(None);
                    Err(error)
                }
            }
        });
    }

    /// Sends a change of one todo, once its id is known.
    fn patch(&self, key: u64, patch: TodoPatch) {
        let store = *self;
        self.write(async move {
            let Some(id) = store.id_of(key).await else {
                return Ok(()); // its creation failed: the reload has dropped it already
            };
            endpoints::update_todo(id, patch).await.map(|_| ())
        });
    }

    pub fn set_completed(&self, key: u64, completed: bool) {
        self.items.update(|items| {
            if let Some(item) = items.iter_mut().find(|i| i.key == key) {
                item.completed = completed;
            }
        });
        self.patch(
            key,
            TodoPatch {
                title: None,
                completed: Some(completed),
            },
        );
    }

    pub fn rename(&self, key: u64, title: String) {
        self.items.update(|items| {
            if let Some(item) = items.iter_mut().find(|i| i.key == key) {
                item.title.clone_from(&title);
            }
        });
        self.patch(
            key,
            TodoPatch {
                title: Some(title),
                completed: None,
            },
        );
    }

    pub fn remove(&self, key: u64) {
        self.items.update(|items| items.retain(|i| i.key != key));
        let store = *self;
        self.write(async move {
            let Some(id) = store.id_of(key).await else {
                return Ok(());
            };
            endpoints::delete_todo(id).await
        });
    }

    pub fn set_all_completed(&self, completed: bool) {
        let keys: Vec<u64> = self
            .items
            .with_untracked(|items| items.iter().map(|i| i.key).collect());
        self.items
            .update(|items| items.iter_mut().for_each(|i| i.completed = completed));
        let store = *self;
        self.write(async move {
            // Todos still being created must exist before the bulk change can cover them.
            for key in keys {
                store.id_of(key).await;
            }
            endpoints::toggle_all(completed).await.map(|_| ())
        });
    }

    pub fn clear_completed(&self) {
        let keys: Vec<u64> = self.items.with_untracked(|items| {
            items
                .iter()
                .filter(|i| i.completed)
                .map(|i| i.key)
                .collect()
        });
        self.items.update(|items| items.retain(|i| !i.completed));
        let store = *self;
        self.write(async move {
            for key in keys {
                store.id_of(key).await;
            }
            endpoints::clear_completed().await.map(|_| ())
        });
    }
}

impl Default for TodoStore {
    fn default() -> Self {
        Self::new()
    }
}
