//! A customer's walk through a flow.
