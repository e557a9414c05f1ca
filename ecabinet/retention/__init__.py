"""How long members' private notes outlive a meeting, and the legal hold that keeps them."""
