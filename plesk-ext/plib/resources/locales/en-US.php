<?php
$messages = [
    'navigationTitle' => 'Passenger Panel',
    'navigationDescription' => 'Node.js apps under Passenger: Socket.IO risks and one-click fixes on every domain.',
    'domainButtonTitle' => 'Passenger Panel',
    'domainButtonDescription' => 'Check and fix this site\'s Socket.IO "Session ID unknown" risk.',
];
