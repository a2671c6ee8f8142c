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
