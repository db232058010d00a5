"""What the shop does for its customers: follow-up rules and monthly plans, the count program (回数フォロー), products and usage cycles, DM targets."""
