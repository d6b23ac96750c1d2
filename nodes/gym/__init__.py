"""Nodes of the gym graph: the simulated environment, user and executor, and the agent's seat."""
