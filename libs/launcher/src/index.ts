export { APPS, findChrt, launchConfig, serviceBundle, serviceCommand, serviceNodeFlags, type App, type BackgroundSched } from './command.js';
export { DEFAULT_PORTS, Launcher, systemProcesses, type LaunchOptions, type Ports, type ServiceProcess, type SystemOptions } from './launcher.js';
