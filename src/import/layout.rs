//! The columns a file of one kind may carry: `external_id`, the table's own columns (each
//! reference followed by its `<name>_source` companion), and `url`.

use crate::store::tables::{ColumnSpec, ColumnType, TableSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    ExternalId,
    Url,
    Column(&'static ColumnSpec),
    /// The source in which a reference column is resolved.
    ReferenceSource(&'static ColumnSpec),
}

#[derive(Debug, Clone)]
pub(crate) struct ImportColumn {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub spec: &'static TableSpec,
    pub columns: Vec<ImportColumn>,
    /// Slot of each of `spec.columns`, in order.
    pub column_slots: Vec<usize>,
    /// Slot of the `_source` companion of each of `spec.columns` that is a reference.
    pub reference_source_slots: Vec<Option<usize>>,
    pub external_id_slot: usize,
    pub url_slot: usize,
}

impl Layout {
    pub fn new(spec: &'static TableSpec) -> Self {
        let mut columns = vec![ImportColumn {
            name: "external_id".into(),
            role: Role::ExternalId,
        }];
        let mut column_slots = Vec::with_capacity(spec.columns.len());
        let mut reference_source_slots = Vec::with_capacity(spec.columns.len());
        for c in spec.columns {
            column_slots.push(columns.len());
            columns.push(ImportColumn {
                name: c.name.to_string(),
                role: Role::Column(c),
            });
            if let ColumnType::Reference(_) = c.ty {
                reference_source_slots.push(Some(columns.len()));
                columns.push(ImportColumn {
                    name: format!("{}_source", c.name),
                    role: Role::ReferenceSource(c),
                });
            } else {
                reference_source_slots.push(None);
            }
        }
        let url_slot = columns.len();
        columns.push(ImportColumn {
            name: "url".into(),
            role: Role::Url,
        });
        Layout {
            spec,
            columns,
            column_slots,
            reference_source_slots,
            external_id_slot: 0,
            url_slot,
        }
    }

    pub fn slot(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Whether a file must carry this column (in a CSV header, as a key in JSON Lines).
    pub fn is_required(&self, slot: usize) -> bool {
        match self.columns[slot].role {
            Role::ExternalId => self.spec.external_id_from.is_empty(),
            Role::Column(c) => c.required,
            Role::Url | Role::ReferenceSource(_) => false,
        }
    }

    pub fn names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
