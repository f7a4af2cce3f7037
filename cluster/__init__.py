"""Where depnet runs at scale: parameter sweeps on Slurm, compiled once per network structure.

- :mod:`~depnet.cluster.sweep_spec`: sweep files (TOML) validated into a :class:`Sweep`.
- :mod:`~depnet.cluster.plan`: points grouped by structure; where builds, stores and logs go.
- :mod:`~depnet.cluster.worker`: what runs on a node (build a group; run a point with
  :func:`depnet.run.run_and_store`).
- :mod:`~depnet.cluster.slurm`: batch scripts, ``sbatch`` and ``squeue``.
- :mod:`~depnet.cluster.submit`: submission (Slurm or local) and the state of every point.
- :mod:`~depnet.cluster.collect`: one dataset with the sweep's axes as coordinates.

The command line: ``depnet sweep``, ``depnet status``, ``depnet collect``.
"""
