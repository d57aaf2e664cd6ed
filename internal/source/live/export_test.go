package live

// FromAzureBody lets the external end-to-end tests rebuild documents the
// way a live scan does.
var FromAzureBody = fromAzureBody
