//! One row of the list: view it, toggle it, destroy it, or double-click to edit it.

use leptos::{ev, html, prelude::*};

use super::store::{Item, SyncState, TodoStore};
use crate::domain::TodoTitle;

#[component]
pub fn TodoItem(item: Item, store: TodoStore) -> impl IntoView {
    let key = item.key;
    let editing = RwSignal::new(false);
    // Escape ends editing without saving; the blur that follows must not save either.
    let cancelled = StoredValue::new(false);
    let edit = NodeRef::<html::Input>::new();
    let original = item.title.clone();
    let sync = store.sync_state(key);
    let saving = move || matches!(sync.get(), Some(SyncState::Saving(_)));
    let unsaved = move || match sync.get() {
        Some(SyncState::Unsaved { deleted: true }) => Some("Not deleted"),
        Some(SyncState::Unsaved { deleted: false }) => Some("Not saved"),
        _ => None,
    };

    // Changes from other devices wait while the row is being edited (see the store).
    on_cleanup(move || store.forget_editing(key));
    let start_editing = move || {
        cancelled.set_value(false);
        store.start_editing(key);
        editing.set(true);
        request_animation_frame(move || {
            if let Some(input) = edit.get_untracked() {
                let _ = input.focus();
                let length = u32::try_from(input.value().len()).unwrap_or(0);
                let _ = input.set_selection_range(length, length);
            }
        });
    };
    let finish = {
        let original = original.clone();
        move || {
            if !editing.get_untracked() || cancelled.get_value() {
                return;
            }
            editing.set(false);
            let Some(input) = edit.get_untracked() else {
                store.stop_editing(key);
                return;
            };
            let value = input.value();
            store.stop_editing(key);
            match TodoTitle::parse(&value) {
                // An emptied title removes the todo (app-spec: "If it's empty the todo
                // should instead be destroyed").
                Err(_) if value.trim().is_empty() => store.remove(key),
                Err(_) => input.set_value(&original),
                Ok(title) if title.as_str() != original => store.rename(key, title.into_inner()),
                Ok(_) => {}
            }
        }
    };
    let on_edit_key = {
        let finish = finish.clone();
        let original = original.clone();
        move |event: ev::KeyboardEvent| match event.key().as_str() {
            "Enter" => finish(),
            "Escape" => {
                cancelled.set_value(true);
                if let Some(input) = edit.get_untracked() {
                    input.set_value(&original);
                }
                editing.set(false);
                store.stop_editing(key);
            }
            _ => {}
        }
    };

    view! {
        <li
            class:completed=item.completed
            class:editing=move || editing.get()
            class:saving=saving
            class:unsaved=move || unsaved().is_some()
            aria-busy=move || saving().then_some("true")
        >
            <div class="view">
                <input
                    class="toggle"
                    type="checkbox"
                    aria-label="Toggle"
                    prop:checked=item.completed
                    on:change=move |_| store.set_completed(key, !item.completed)
                />
                // Focusable, with Enter to edit, so the keyboard can do what double-click does.
                <label
                    tabindex="0"
                    on:dblclick=move |_| start_editing()
                    on:keydown=move |event: ev::KeyboardEvent| {
                        if event.key() == "Enter" {
                            start_editing();
                        }
                    }
                >
                    {item.title.clone()}
                </label>
                <button class="destroy" aria-label="Delete" on:click=move |_| store.remove(key)></button>
            </div>
            <input
                class="edit"
                aria-label="Edit"
                node_ref=edit
                prop:value=original
                on:keydown=on_edit_key
                on:blur=move |_| finish()
            />
            {move || unsaved().map(|what| view! {
                <p class="sync-status" role="status">
                    <span>{what}</span>
                    <button class="retry" on:click=move |_| store.retry(key)>"Retry"</button>
                    <button class="discard" on:click=move |_| store.discard(key)>"Discard"</button>
                </p>
            })}
        </li>
    }
}
