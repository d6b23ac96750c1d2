"""The environment gym: scenes, a simulated user, and data generation (ProactiveAgent §3)."""
