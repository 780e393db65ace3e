// Placeholder: being written now.
