package plugin

// FindConnection is the plugin's pick of a connection, for the suite to compare with the
// operator's.
var FindConnection = findConnection
