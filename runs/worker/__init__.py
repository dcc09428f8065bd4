"""What only worker processes load: the Celery tasks, the loop that runs a claimed node and
keeps its lease, the sweeper and the worker's bootstep. Web processes never import this
package (an import contract and a test in make test keep it so)."""
