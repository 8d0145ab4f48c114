// Registers ovs-vsctl's switch-specific commands (bridges, ports, interfaces, controllers, managers, SSL,
// init/show/emer-reset): importing this module once is all the runner needs to do.
import './commands-bridge.js';
import './commands-controller.js';
import './commands-manager.js';
import './commands-misc.js';
import './commands-port.js';
import './commands-ssl.js';
