"""Edit: the paths an item takes (OpenCV, studio, the model) and the operations on its pixels."""
