//! Store queries that load the inputs of metrics and record metric definitions.
