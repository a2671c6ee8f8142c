use leptos::prelude::*;

/// A labelled form field with its own error line.
#[derive(Clone, Copy)]
pub struct Field {
    pub value: RwSignal<String>,
    pub error: RwSignal<Option<String>>,
}

impl Field {
    #[must_use]
    pub fn new() -> Self {
        Self {
            value: RwSignal::new(String::new()),
            error: RwSignal::new(None),
        }
    }
}

impl Default for Field {
    fn default() -> Self {
        Self::new()
    }
}

/// `<label>` + `<input>` + error, wired for screen readers (`aria-invalid`,
/// `aria-describedby`).
#[component]
pub fn FieldInput(
    id: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    field: Field,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    keep_what_was_typed(id, field);
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                bind:value=field.value
                aria-invalid=move || field.error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id>{move || field.error.get()}</p>
        </div>
    }
}

/// Starts `field` from what its server-rendered input already holds. Someone may type, or
/// the browser autofill, before the island is hydrated, and hydrating `bind:value` writes
/// the field's value into the input: without this, an empty one, and what was typed is
/// gone. Runs before the view is hydrated, while the input is still the server's.
#[cfg(feature = "hydrate")]
fn keep_what_was_typed(id: &str, field: Field) {
    use leptos::wasm_bindgen::JsCast;

    let typed = document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|input| input.value())
        .filter(|value| !value.is_empty());
    if let Some(value) = typed {
        field.value.set(value);
    }
}
