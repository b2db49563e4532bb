def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a training step of a very large registry network (minutes on CPU)")
