// Real virsh output captured on this project's machines (Debian 12, libvirt 9.0.0, QEMU 7.2,
// lab hosts started by server/lab). Kept verbatim except where a comment says it was cut.

/** virsh nodeinfo, lab host-a1 (libvirtd 9.0.0 in the host's namespace). */
export const NODEINFO_LAB = `CPU model:           x86_64
CPU(s):              2
CPU frequency:       2096 MHz
CPU socket(s):       1
Core(s) per socket:  2
Thread(s) per core:  1
NUMA cell(s):        1
Memory size:         7431968 KiB

`;

/** virsh version, lab host-a1. */
export const VERSION_LAB = `Compiled against library: libvirt 9.0.0
Using library: libvirt 9.0.0
Using API: QEMU 9.0.0
Running hypervisor: QEMU 7.2.22

`;

/** virsh capabilities, lab host-a1: the <host> head and the x86_64 <guest> (the rest cut). */
export const CAPABILITIES_LAB_EXCERPT = `<capabilities>

  <host>
    <uuid>35333f69-be33-42ea-bb5f-c7eca0e44ad6</uuid>
        ...
  </host>

  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine maxCpus='255'>pc-i440fx-7.2</machine>
      <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
      <machine maxCpus='288'>pc-q35-5.2</machine>
      <machine maxCpus='255'>pc-i440fx-2.12</machine>
      <machine maxCpus='255'>pc-i440fx-2.0</machine>
      <machine maxCpus='255'>pc-i440fx-6.2</machine>
      <machine maxCpus='288'>pc-q35-4.2</machine>
      <machine maxCpus='255'>pc-i440fx-2.5</machine>
      <machine maxCpus='255'>pc-i440fx-4.2</machine>
      <machine maxCpus='255'>pc-i440fx-5.2</machine>
      <machine maxCpus='255' deprecated='yes'>pc-i440fx-1.5</machine>
      <machine maxCpus='255'>pc-q35-2.7</machine>
      <machine maxCpus='288'>pc-q35-7.1</machine>
      <machine maxCpus='255'>pc-i440fx-2.2</machine>
      <machine maxCpus='255'>pc-i440fx-2.7</machine>
      <machine maxCpus='288'>pc-q35-6.1</machine>
      <machine maxCpus='255'>pc-q35-2.4</machine>
      <machine maxCpus='255'>pc-i440fx-7.1</machine>
      <machine maxCpus='288'>pc-q35-2.10</machine>
      <machine maxCpus='1'>x-remote</machine>
      <machine maxCpus='288'>pc-q35-5.1</machine>
      <machine maxCpus='255' deprecated='yes'>pc-i440fx-1.7</machine>
      <machine maxCpus='288'>pc-q35-2.9</machine>
      <machine maxCpus='255'>pc-i440fx-2.11</machine>
      <machine maxCpus='288'>pc-q35-3.1</machine>
      <machine maxCpus='255'>pc-i440fx-6.1</machine>
      <machine maxCpus='288'>pc-q35-4.1</machine>
      <machine maxCpus='255'>pc-i440fx-2.4</machine>
      <machine maxCpus='255'>pc-i440fx-4.1</machine>
      <machine maxCpus='255'>pc-i440fx-5.1</machine>
      <machine maxCpus='255'>pc-i440fx-2.9</machine>
      <machine maxCpus='1'>isapc</machine>
      <machine maxCpus='255' deprecated='yes'>pc-i440fx-1.4</machine>
      <machine maxCpus='255'>pc-q35-2.6</machine>
      <machine maxCpus='255'>pc-i440fx-3.1</machine>
      <machine maxCpus='288'>pc-q35-2.12</machine>
      <machine maxCpus='288'>pc-q35-7.0</machine>
      <machine maxCpus='255'>pc-i440fx-2.1</machine>
      <machine maxCpus='288'>pc-q35-6.0</machine>
      <machine maxCpus='255'>pc-i440fx-2.6</machine>
      <machine maxCpus='288'>pc-q35-4.0.1</machine>
      <machine maxCpus='255'>pc-i440fx-7.0</machine>
      <machine maxCpus='255' deprecated='yes'>pc-i440fx-1.6</machine>
      <machine maxCpus='288'>pc-q35-5.0</machine>
      <machine maxCpus='288'>pc-q35-2.8</machine>
      <machine maxCpus='255'>pc-i440fx-2.10</machine>
      <machine maxCpus='288'>pc-q35-3.0</machine>
      <machine maxCpus='255'>pc-i440fx-6.0</machine>
      <machine maxCpus='288'>pc-q35-7.2</machine>
      <machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>
      <machine maxCpus='288'>pc-q35-4.0</machine>
      <machine maxCpus='288'>microvm</machine>
      <machine maxCpus='255'>pc-i440fx-2.3</machine>
      <machine maxCpus='255'>pc-i440fx-4.0</machine>
      <machine maxCpus='255'>pc-i440fx-5.0</machine>
      <machine maxCpus='255'>pc-i440fx-2.8</machine>
      <machine maxCpus='288'>pc-q35-6.2</machine>
      <machine maxCpus='255'>pc-q35-2.5</machine>
      <machine maxCpus='255'>pc-i440fx-3.0</machine>
      <machine maxCpus='288'>pc-q35-2.11</machine>
      <domain type='qemu'/>
    </arch>
    <features>
      <acpi default='on' toggle='yes'/>
      <apic default='on' toggle='no'/>
      <cpuselection/>
      <deviceboot/>
      <disksnapshot default='on' toggle='no'/>
    </features>
  </guest>
</capabilities>
`;

/** virsh dominfo, lab VM on host-a1 while running. */
export const DOMINFO_RUNNING = `Id:             1
Name:           capvm
UUID:           0d0a9916-dba9-4977-81cb-a1aae504cfd2
OS Type:        hvm
State:          running
CPU(s):         1
CPU time:       5.0s
Max memory:     262144 KiB
Used memory:    262144 KiB
Persistent:     yes
Autostart:      disable
Managed save:   no
Security model: none
Security DOI:   0
Messages:       tainted: running with undesirable elevated privileges

`;

/** virsh dominfo, the same VM on host-b1 after it stopped. */
export const DOMINFO_SHUTOFF = `Id:             -
Name:           capvm
UUID:           0d0a9916-dba9-4977-81cb-a1aae504cfd2
OS Type:        hvm
State:          shut off
CPU(s):         1
Max memory:     262144 KiB
Used memory:    262144 KiB
Persistent:     yes
Autostart:      disable
Managed save:   no
Security model: none
Security DOI:   0

`;

/** virsh domiflist, lab VM on host-a1. */
export const DOMIFLIST_LAB = ` Interface   Type     Source   Model    MAC
-----------------------------------------------------------
 vnet0       bridge   br-int   virtio   52:54:00:99:00:11

`;

/** virsh dumpxml, lab VM on host-a1 (running, defined through labDomainXml). */
export const DUMPXML_LAB = `<domain type='qemu' id='1'>
  <name>capvm</name>
  <uuid>0d0a9916-dba9-4977-81cb-a1aae504cfd2</uuid>
  <memory unit='KiB'>262144</memory>
  <currentMemory unit='KiB'>262144</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <kernel>/work/main/data/lab/images/ferry-guest/vmlinuz</kernel>
    <initrd>/work/main/data/lab/images/ferry-guest/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off i8042.noaux i8042.nokbd 8250.nr_uarts=1 ferry.ip=10.99.0.11/24 ferry.hostname=capvm ferry.fill_mb=96 ferry.dirty_mbps=20</cmdline>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
  </features>
  <cpu mode='custom' match='exact' check='full'>
    <model fallback='forbid'>qemu64</model>
    <feature policy='require' name='hypervisor'/>
    <feature policy='require' name='lahf_lm'/>
  </cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' index='0' model='none'>
      <alias name='usb'/>
    </controller>
    <controller type='pci' index='0' model='pci-root'>
      <alias name='pci.0'/>
    </controller>
    <interface type='bridge'>
      <mac address='52:54:00:99:00:11'/>
      <source bridge='br-int'/>
      <virtualport type='openvswitch'>
        <parameters interfaceid='97b00eb0-db08-4a2c-8b82-df75cc23bf4b'/>
      </virtualport>
      <target dev='vnet0'/>
      <model type='virtio'/>
      <driver name='qemu'>
        <host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off'/>
        <guest csum='off' tso4='off' tso6='off' ecn='off' ufo='off'/>
      </driver>
      <alias name='net0'/>
      <rom enabled='no'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </interface>
    <serial type='file'>
      <source path='/tmp/lvcap/lab/shared/vms/capvm/console.log' append='on'/>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
      <alias name='serial0'/>
    </serial>
    <console type='file'>
      <source path='/tmp/lvcap/lab/shared/vms/capvm/console.log' append='on'/>
      <target type='serial' port='0'/>
      <alias name='serial0'/>
    </console>
    <input type='mouse' bus='ps2'>
      <alias name='input0'/>
    </input>
    <input type='keyboard' bus='ps2'>
      <alias name='input1'/>
    </input>
    <audio id='1' type='none'/>
    <memballoon model='none'/>
  </devices>
  <seclabel type='dynamic' model='dac' relabel='yes'>
    <label>+0:+0</label>
    <imagelabel>+0:+0</imagelabel>
  </seclabel>
</domain>

`;

/** virsh list --all --uuid --name, lab host-a1. */
export const LIST_UUID_NAME = `0d0a9916-dba9-4977-81cb-a1aae504cfd2 capvm

`;

/** virsh domjobinfo, lab VM with no job. */
export const DOMJOBINFO_NONE = `Job type:         None        

`;

/** virsh domjobinfo on the source 3.2 s into a migration host-a1 → host-b1 (migrate-setspeed 20, guest fill_mb=96 dirty_mbps=20). */
export const DOMJOBINFO_ACTIVE = `Job type:         Unbounded   
Operation:        Outgoing migration
Time elapsed:     3169         ms
Data processed:   10.018 MiB
Data remaining:   245.574 MiB
Data total:       256.508 MiB
Memory processed: 10.018 MiB
Memory remaining: 245.574 MiB
Memory total:     256.508 MiB
Memory bandwidth: 20.039 MiB/s
Dirty rate:       0            pages/s
Page size:        4096         bytes
Iteration:        1           
Postcopy requests: 0           
Constant pages:   240         
Normal pages:     2559        
Normal data:      9.996 MiB
Expected downtime: 300          ms
Setup time:       4            ms
`;

/** virsh domjobinfo --rawstats, same migration, 29.4 s in (round 23). */
export const DOMJOBINFO_RAW_ACTIVE = `Job type: 2
operation: 5
time_elapsed: 29390
downtime: 352
setup_time: 4
data_total: 268967936
data_processed: 547425234
data_remaining: 4988928
memory_total: 268967936
memory_processed: 547425234
memory_remaining: 4988928
memory_bps: 21012660
memory_constant: 23559
memory_normal: 133336
memory_normal_bytes: 546144256
memory_dirty_rate: 4250
memory_iteration: 23
memory_postcopy_requests: 0
memory_page_size: 4096
disk_total: 0
disk_processed: 0
disk_remaining: 0
`;

/** virsh domjobinfo --completed on the DESTINATION (host-b1) right after that migration. */
export const DOMJOBINFO_COMPLETED = `Job type:         Completed   
Operation:        Incoming migration
Time elapsed:     29980        ms
Time elapsed w/o network: 29918        ms
Data processed:   533.921 MiB
Data remaining:   0.000 B
Data total:       256.508 MiB
Memory processed: 533.921 MiB
Memory remaining: 0.000 B
Memory total:     256.508 MiB
Memory bandwidth: 19.654 MiB/s
Dirty rate:       0            pages/s
Page size:        4096         bytes
Iteration:        28          
Postcopy requests: 0           
Constant pages:   23560       
Normal pages:     136365      
Normal data:      532.676 MiB
Total downtime:   187          ms
Downtime w/o network: 125          ms
Setup time:       4            ms

`;

/** virsh domjobinfo --completed --keep-completed --rawstats on the destination after a migration whose source was suspended mid-way. */
export const DOMJOBINFO_RAW_COMPLETED = `Job type: 3

operation: 4
time_elapsed: 6793
time_elapsed_net: 6731
downtime: 2806
downtime_net: 2744
setup_time: 3
data_total: 268967936
data_processed: 96795999
data_remaining: 0
memory_total: 268967936
memory_processed: 96795999
memory_remaining: 0
memory_bps: 19070926
memory_constant: 42244
memory_normal: 23493
memory_normal_bytes: 96227328
memory_dirty_rate: 0
memory_iteration: 3
memory_postcopy_requests: 0
memory_page_size: 4096
disk_total: 0
disk_processed: 0
disk_remaining: 0
`;
