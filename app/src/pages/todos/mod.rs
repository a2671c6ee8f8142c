//! `/`, `/active`, `/completed`: the TodoMVC app (tastejs/todomvc `app-spec.md`), in its
//! markup and behaviour, on the signed-in user's todos.

mod item;
mod reconcile;
mod store;

use leptos::{ev, html, prelude::*};

use self::{item::TodoItem, store::TodoStore};
use crate::{
    auth::RequireAuth, domain::TodoTitle, dto::StatusFilter, live::use_live, nav, routes::AppRoute,
};

/// The todo page; only for signed-in users.
#[island]
pub fn TodosPage() -> impl IntoView {
    view! {
        <RequireAuth>
            <TodoApp/>
        </RequireAuth>
    }
}

/// Which filter the URL asks for: the path (`/active`), or the TodoMVC hash (`#/active`).
fn filter_of(path: &str, hash: &str) -> StatusFilter {
    match hash {
        "#/active" => return StatusFilter::Active,
        "#/completed" => return StatusFilter::Completed,
        "#/" => return StatusFilter::All,
        _ => {}
    }
    match path {
        "/active" => StatusFilter::Active,
        "/completed" => StatusFilter::Completed,
        _ => StatusFilter::All,
    }
}

#[component]
fn TodoApp() -> impl IntoView {
    let store = TodoStore::new();
    store.load();
    // What other devices change shows here as it happens.
    use_live().on_change(move |change| store.apply(change));
    // The filters follow the URL without loading a page: a click pushes the filter's
    // path, back and forward (and a typed `#/active`) are read back from the address.
    let filter_in_url = || filter_of(&nav::pathname(), &nav::hash());
    let filter = RwSignal::new(filter_in_url());
    let read_url = move || filter.set(filter_in_url());
    let popstate = window_event_listener(ev::popstate, move |_| read_url());
    let hashchange = window_event_listener(ev::hashchange, move |_| read_url());
    on_cleanup(move || {
        popstate.remove();
        hashchange.remove();
    });

    // Leaving with changes on their way, or not saved, would lose them: ask first.
    let leave_guard = window_event_listener(ev::beforeunload, move |event| {
        if store.has_unsaved_changes() {
            event.prevent_default();
        }
    });
    on_cleanup(move || leave_guard.remove());

    let new_todo = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = new_todo.get() {
            let _ = input.focus();
        }
    });
    let on_new_todo_key = move |event: ev::KeyboardEvent| {
        if event.key() != "Enter" {
            return;
        }
        let Some(input) = new_todo.get() else { return };
        let Ok(title) = TodoTitle::parse(&input.value()) else {
            return; // empty (or unusable) input: Enter does nothing
        };
        input.set_value("");
        store.add(title.into_inner());
    };

    let total = move || store.items.with(Vec::len);
    let active = move || {
        store
            .items
            .with(|items| items.iter().filter(|i| !i.completed).count())
    };
    let completed = move || total() - active();
    let visible = move || {
        let filter = filter.get();
        store.items.with(|items| {
            items
                .iter()
                .filter(|item| match filter {
                    StatusFilter::All => true,
                    StatusFilter::Active => !item.completed,
                    StatusFilter::Completed => item.completed,
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let filter_link = move |target: StatusFilter, route: AppRoute, label: &'static str| {
        view! {
            <li>
                <a
                    href=route.path()
                    class:selected=move || filter.get() == target
                    on:click=move |event: ev::MouseEvent| {
                        let modified = event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key();
                        if modified || event.button() != 0 {
                            return; // a new tab, a window or a download: the browser's to do
                        }
                        event.prevent_default();
                        nav::push(route.path());
                        filter.set(target);
                    }
                >
                    {label}
                </a>
            </li>
        }
    };

    view! {
        <section class="todoapp">
            <header class="header">
                <h1>"todos"</h1>
                <input
                    class="new-todo"
                    placeholder="What needs to be done?"
                    aria-label="New todo"
                    autofocus
                    node_ref=new_todo
                    on:keydown=on_new_todo_key
                />
            </header>
            {move || {
                store.error.get().map(|message| view! {
                    <p class="todo-error" role="alert">
                        {message}
                        <button class="retry-all" on:click=move |_| store.retry_all()>"Retry"</button>
                        <button class="dismiss" on:click=move |_| store.error.set(None)>"Dismiss"</button>
                    </p>
                })
            }}
            <Show when=move || !store.loaded.get()>
                <p class="placeholder" aria-busy="true">"Loading your todos…"</p>
            </Show>
            <Show when=move || { total() > 0 }>
                <section class="main">
                    <div class="toggle-all-container">
                        <input
                            id="toggle-all"
                            class="toggle-all"
                            type="checkbox"
                            prop:checked=move || active() == 0
                            on:change=move |_| store.set_all_completed(active() > 0)
                        />
                        <label class="toggle-all-label" for="toggle-all">"Mark all as complete"</label>
                    </div>
                    <ul class="todo-list">
                        <For each=visible key=|item| (item.key, item.title.clone(), item.completed) let:item>
                            <TodoItem item store/>
                        </For>
                    </ul>
                </section>
                <footer class="footer">
                    <span class="todo-count">
                        <strong>{active}</strong>
                        {move || if active() == 1 { " item left" } else { " items left" }}
                    </span>
                    <ul class="filters">
                        {filter_link(StatusFilter::All, AppRoute::Todos, "All")}
                        {filter_link(StatusFilter::Active, AppRoute::Active, "Active")}
                        {filter_link(StatusFilter::Completed, AppRoute::Completed, "Completed")}
                    </ul>
                    <Show when=move || { completed() > 0 }>
                        <button class="clear-completed" on:click=move |_| store.clear_completed()>
                            "Clear completed"
                        </button>
                    </Show>
                </footer>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::filter_of;
    use crate::dto::StatusFilter;

    #[test]
    fn the_hash_wins_over_the_path() {
        assert_eq!(filter_of("/", "#/active"), StatusFilter::Active);
        assert_eq!(filter_of("/active", "#/"), StatusFilter::All);
        assert_eq!(filter_of("/completed", ""), StatusFilter::Completed);
        assert_eq!(filter_of("/", ""), StatusFilter::All);
    }
}
