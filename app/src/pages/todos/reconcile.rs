//! Merging a fresh list from the server into the list on screen without losing what the
//! user did that the server has not confirmed yet.
//!
//! A reload can happen at any time (after a refused change, on "Retry"), while creates,
//! edits and deletes are on their way or have failed. The server's list is the truth for
//! every todo with no unconfirmed change; a todo with one keeps what the user sees.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::store::Item;
use crate::dto::Todo;

/// What the page knows about its own todos besides the list itself.
pub struct Local<'a> {
    /// The list on screen.
    pub items: &'a [Item],
    /// The server id of a todo on screen, once its creation was confirmed.
    pub id_of: &'a dyn Fn(u64) -> Option<Uuid>,
    /// Whether a todo has a change the server has not confirmed (sending, or failed).
    pub unconfirmed: &'a dyn Fn(u64) -> bool,
    /// Todos the user deleted whose deletion is still on its way.
    pub being_deleted: &'a HashSet<Uuid>,
    /// Whether todos the page has never seen may be added. Not while a creation is on its
    /// way: the server may have made it already, and until its answer arrives the page
    /// cannot tell that todo from one another device added, so it would show it twice.
    pub adopt_unknown: bool,
}

/// The merged list, and the keys given to todos that were not on screen before.
pub struct Merged {
    pub items: Vec<Item>,
    pub new_ids: Vec<(u64, Uuid)>,
}

/// Merges `server` (the whole list, oldest first) into `local`:
///
/// - a todo with an unconfirmed change keeps its values on screen;
/// - a todo being deleted stays away;
/// - a todo whose creation is unconfirmed stays, after the server's todos (it is the
///   newest);
/// - every other todo is as the server says, under the key it had on screen (so its row
///   is not re-created), or a new one from `new_key`;
/// - a todo the server no longer has is gone (deleted on another device);
/// - a todo the page has never seen is added only if `adopt_unknown`.
pub fn merge(server: Vec<Todo>, local: &Local<'_>, mut new_key: impl FnMut() -> u64) -> Merged {
    let on_screen: HashMap<Uuid, &Item> = local
        .items
        .iter()
        .filter_map(|item| (local.id_of)(item.key).map(|id| (id, item)))
        .collect();
    let mut merged = Merged {
        items: Vec::with_capacity(server.len()),
        new_ids: Vec::new(),
    };
    for todo in server {
        if local.being_deleted.contains(&todo.id) {
            continue;
        }
        match on_screen.get(&todo.id) {
            Some(item) if (local.unconfirmed)(item.key) => merged.items.push((*item).clone()),
            Some(item) => merged.items.push(Item {
                key: item.key,
                title: todo.title,
                completed: todo.completed,
            }),
            None if !local.adopt_unknown => {}
            None => {
                let key = new_key();
                merged.new_ids.push((key, todo.id));
                merged.items.push(Item {
                    key,
                    title: todo.title,
                    completed: todo.completed,
                });
            }
        }
    }
    merged.items.extend(
        local
            .items
            .iter()
            .filter(|item| (local.id_of)(item.key).is_none())
            .cloned(),
    );
    merged
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::DateTime;
    use uuid::Uuid;

    use super::{Local, merge};
    use crate::{dto::Todo, pages::todos::store::Item};

    fn todo(n: u128, title: &str, completed: bool) -> Todo {
        Todo {
            id: Uuid::from_u128(n),
            title: title.to_owned(),
            completed,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn item(key: u64, title: &str, completed: bool) -> Item {
        Item {
            key,
            title: title.to_owned(),
            completed,
        }
    }

    /// Keys 1..=9 are todos 1..=9 on the server; key 100 has no id yet.
    fn id_of(key: u64) -> Option<Uuid> {
        (key < 10).then(|| Uuid::from_u128(u128::from(key)))
    }

    #[test]
    fn a_todo_whose_creation_is_on_its_way_survives_a_reload() {
        let items = [item(1, "saved", false), item(100, "sending", false)];
        let merged = merge(
            vec![todo(1, "saved", false)],
            &Local {
                items: &items,
                id_of: &id_of,
                unconfirmed: &|key| key == 100,
                being_deleted: &HashSet::new(),
                adopt_unknown: true,
            },
            || 7,
        );
        assert_eq!(merged.items, items);
        assert!(merged.new_ids.is_empty());
    }

    #[test]
    fn an_edit_on_its_way_is_not_undone_but_other_todos_take_the_servers_values() {
        let items = [item(1, "edited here", true), item(2, "old", false)];
        let merged = merge(
            vec![
                todo(1, "before the edit", false),
                todo(2, "renamed elsewhere", true),
            ],
            &Local {
                items: &items,
                id_of: &id_of,
                unconfirmed: &|key| key == 1,
                being_deleted: &HashSet::new(),
                adopt_unknown: true,
            },
            || 7,
        );
        assert_eq!(
            merged.items,
            [
                item(1, "edited here", true),
                item(2, "renamed elsewhere", true)
            ]
        );
    }

    #[test]
    fn a_deletion_on_its_way_keeps_the_todo_away_and_new_todos_get_new_keys() {
        let items = [item(2, "kept", false)];
        let being_deleted = HashSet::from([Uuid::from_u128(1)]);
        let merged = merge(
            vec![
                todo(1, "deleted here", false),
                todo(2, "kept", false),
                todo(3, "new", false),
            ],
            &Local {
                items: &items,
                id_of: &id_of,
                unconfirmed: &|_| false,
                being_deleted: &being_deleted,
                adopt_unknown: true,
            },
            || 42,
        );
        assert_eq!(
            merged.items,
            [item(2, "kept", false), item(42, "new", false)]
        );
        assert_eq!(merged.new_ids, [(42, Uuid::from_u128(3))]);
    }

    #[test]
    fn a_todo_deleted_on_another_device_is_gone() {
        let items = [item(1, "gone", false), item(2, "edited, gone", false)];
        let merged = merge(
            vec![],
            &Local {
                items: &items,
                id_of: &id_of,
                unconfirmed: &|key| key == 2,
                being_deleted: &HashSet::new(),
                adopt_unknown: true,
            },
            || 7,
        );
        assert!(merged.items.is_empty());
    }

    #[test]
    fn while_a_creation_is_on_its_way_unknown_todos_wait_for_the_next_load() {
        // The server made todo 3 from the create that key 100 sent, and its answer has
        // not arrived: adopting todo 3 now would show that todo twice.
        let items = [item(1, "saved", false), item(100, "sending", false)];
        let merged = merge(
            vec![todo(1, "saved", false), todo(3, "sending", false)],
            &Local {
                items: &items,
                id_of: &id_of,
                unconfirmed: &|key| key == 100,
                being_deleted: &HashSet::new(),
                adopt_unknown: false,
            },
            || 7,
        );
        assert_eq!(merged.items, items);
        assert!(merged.new_ids.is_empty());
    }
}
