"""Access control: principals, authentication, the policy table and its enforcement."""
