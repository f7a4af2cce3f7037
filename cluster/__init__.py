"""Where depnet runs at scale: Slurm submission, sweeps and collection of their stores.

Builds on :func:`depnet.run.run_scenario`; nothing here yet.
"""
