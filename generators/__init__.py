"""Pure functions: analysis and design in, files ({path: text}) out. No network, clock or randomness."""
