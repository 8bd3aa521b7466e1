"""Run a sweep on a Dask cluster: an existing scheduler, an HPC queue, or a local cluster.

    # an existing cluster (every worker has pbr-fairness installed, same version):
    python examples/sweep_dask_cluster.py SPEC.yaml OUT.parquet --scheduler tcp://HOST:8786

    # a SLURM (or PBS) queue through dask-jobqueue (pip install dask-jobqueue):
    python examples/sweep_dask_cluster.py SPEC.yaml OUT.parquet --slurm 10

    # neither: a LocalCluster on this machine
    python examples/sweep_dask_cluster.py SPEC.yaml OUT.parquet

Only this process writes files; the workers build the caseload from the spec's seed and send
back small tables of measures. Re-running the same command resumes an interrupted sweep.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec")
    parser.add_argument("out")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--slurm", type=int, metavar="JOBS", help="SLURM jobs to start")
    parser.add_argument("--pbs", type=int, metavar="JOBS", help="PBS jobs to start")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from pbr_fairness.sweep import run_sweep

    if args.scheduler:
        client = Client(args.scheduler)
    elif args.slurm or args.pbs:
        import dask_jobqueue  # pip install dask-jobqueue

        kind = dask_jobqueue.SLURMCluster if args.slurm else dask_jobqueue.PBSCluster
        # One job = one node slice of 8 single-threaded worker processes; adjust the queue,
        # account, walltime and memory to your site.
        cluster = kind(cores=8, processes=8, memory="32GB", walltime="02:00:00")
        cluster.scale(jobs=args.slurm or args.pbs)
        client = Client(cluster)
    else:
        client = Client(LocalCluster(threads_per_worker=1, dashboard_address=None))
    with client:
        run = run_sweep(args.spec, args.out, backend="dask", client=client)
    print(run.summary())


if __name__ == "__main__":
    main()
