"""Finding the caller: the search box, its results model and the panel that joins them."""
