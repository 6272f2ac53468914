//! The stored history and what is run over it again: `causeway replay` of a
//! recorded stream, back-tests of settings over the inbox, and retention
//! that keeps the store small.

pub mod backtest;
pub mod replay;
pub mod retention;
