//! Every path a customer can take through a flow.
