"""What the shop learns from its customers: surveys and customer journey maps."""
