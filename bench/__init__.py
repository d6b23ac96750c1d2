"""ProactiveBench: evaluate agents, judges and need detectors on annotated user traces."""
