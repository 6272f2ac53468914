//! Descriptors load, validate, and are refused with the file and path at fault.
