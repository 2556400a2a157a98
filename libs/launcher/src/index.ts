export { APPS, findChrt, launchConfig, serviceBundle, serviceCommand, serviceNodeFlags, type App, type BackgroundSched } from './command.js';
export { DEFAULT_PORTS, freePorts, Launcher, systemProcesses, type LaunchOptions, type Ports, type ServiceProcess, type SystemOptions } from './launcher.js';
