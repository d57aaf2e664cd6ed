environment  = "prod"
token_expiry = "2027-03-31T00:00:00Z"
