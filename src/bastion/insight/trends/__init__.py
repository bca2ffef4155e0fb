"""Trends: the spike and level-shift detector, NAB scoring, segment series of the store, emerging terms and alerts."""
