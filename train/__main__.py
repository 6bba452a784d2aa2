import sys

sys.exit("python -m train: training is not implemented yet in this version of rtast (see README, 'Status').")
