import sys

from depnet.cli import main

sys.exit(main())
