import sys

from benchmarks import threads

# before NumPy, JAX or PyTorch is imported
THREADS = threads.pin(threads.requested(sys.argv[1:]))

from benchmarks.run import main  # noqa: E402

sys.exit(main(threads_note=THREADS))
