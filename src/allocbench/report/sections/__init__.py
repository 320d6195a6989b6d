"""The report's sections: each a module that turns the runs into findings."""
