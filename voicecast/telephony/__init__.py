"""What the carrier sends us: webhook authentication (`signatures`)."""
